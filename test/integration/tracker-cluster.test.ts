import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { jsonInbox } from '../helpers/json-inbox.ts';
import { RedisServer } from '../helpers/redis-server.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const HASH = wireId('cluster-swarm');
/** Fast node death for tests: a node silent for 3 × 200 ms is dead. */
const CLUSTER_SETTINGS = { host: '127.0.0.1', port: 0, clusterHeartbeatMs: 200, announceRatePerSecond: 1000, announceBurst: 1000, logLevel: 'off' } as const;

interface Peer {
  readonly socket: WebSocket;
  next(): Promise<Record<string, unknown>>;
  announce(extra?: Record<string, unknown>): void;
}

/** Wait for a condition that events elsewhere (another node, Redis) will make true; bounded. */
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('tracker cluster on a real Redis', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  const trackers: RunningTracker[] = [];
  const sockets: WebSocket[] = [];
  const children: ChildProcess[] = [];

  const node = async (): Promise<RunningTracker> => {
    const tracker = await startTracker({ ...CLUSTER_SETTINGS, redisUrl: redis.url });
    trackers.push(tracker);
    return tracker;
  };
  const peer = async (url: string, name: string): Promise<Peer> => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    sockets.push(socket);
    const next = jsonInbox(socket);
    await once(socket, 'open');
    return { socket, next, announce: (extra = {}) => socket.send(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId(name), numwant: 5, ...extra })) };
  };
  /** Announce until the reply counts `peers` in the swarm (counts over nodes lag one announce). */
  const announceUntilCount = async (client: Peer, peers: number): Promise<void> => {
    await until(async () => {
      client.announce();
      const reply = await client.next();
      return Number(reply['incomplete']) + Number(reply['complete']) === peers;
    }, `a swarm of ${peers} across nodes`);
  };

  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('relays an offer from a peer on one node to a peer on the other, and the answer back', async () => {
    const [a, b] = [await node(), await node()];
    const alice = await peer(a.url, 'alice');
    const bob = await peer(b.url, 'bob');
    alice.announce();
    await alice.next();
    const offer = { offer_id: wireId('offer-1'), offer: { type: 'offer', sdp: 'v=0 from bob on node b' } };
    bob.announce({ offers: [offer] });
    await bob.next();
    const relayed = await alice.next();
    assert.deepEqual(relayed, { action: 'announce', offer: offer.offer, offer_id: offer.offer_id, peer_id: wireId('bob'), info_hash: HASH });
    alice.socket.send(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('alice'), to_peer_id: wireId('bob'), offer_id: offer.offer_id, answer: { type: 'answer', sdp: 'v=0 from alice on node a' } }));
    assert.deepEqual(await bob.next(), { action: 'announce', answer: { type: 'answer', sdp: 'v=0 from alice on node a' }, offer_id: offer.offer_id, peer_id: wireId('alice'), info_hash: HASH });
    await announceUntilCount(bob, 2);
    const cluster = b.stats().cluster;
    assert.ok(cluster !== undefined && cluster.redisConnected);
    assert.deepEqual(cluster.topSwarms.find((swarm) => swarm.infoHash === HASH), { infoHash: HASH, peers: 2, seeders: 0 });
    assert.equal(a.stats().cluster?.relayedOut, 1, 'the answer went back over Redis');
  });

  it('keeps offers on the node when the whole swarm is there: nothing is published', async () => {
    const a = await node();
    const [alice, carol] = [await peer(a.url, 'alice'), await peer(a.url, 'carol')];
    alice.announce();
    await alice.next();
    carol.announce({ offers: [{ offer_id: wireId('offer-2'), offer: { type: 'offer', sdp: 'v=0 local' } }] });
    await carol.next();
    assert.equal((await alice.next())['offer_id'], wireId('offer-2'));
    assert.equal(a.stats().cluster?.relayedOut, 0);
  });
  it('a node that dies without a goodbye loses its peers within the lease, and the other node keeps serving', async () => {
    const b = await node();
    const child = spawn(process.execPath, ['--import', 'tsx', 'tracker/cli.ts', '--host', '127.0.0.1', '--port', '0', '--redis', redis.url, '--cluster-heartbeat', '200', '--announce-rate', '1000', '--announce-burst', '1000'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
    const listening = JSON.parse(String((await lines.next()).value)) as { url: string };
    const alice = await peer(listening.url, 'alice');
    const bob = await peer(b.url, 'bob');
    alice.announce();
    await alice.next();
    await announceUntilCount(bob, 2);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    await announceUntilCount(bob, 1);
    assert.ok((b.stats().cluster?.reapedPeers ?? 0) >= 1, 'the survivor reaped the dead node');
    // Node b still relays between its own peers.
    const dave = await peer(b.url, 'dave');
    dave.announce({ offers: [{ offer_id: wireId('offer-3'), offer: { type: 'offer', sdp: 'v=0 after the crash' } }] });
    await dave.next();
    assert.equal((await bob.next())['offer_id'], wireId('offer-3'));
  });

  it('survives a Redis restart: both nodes keep serving local peers, then rebuild the shared swarm', async () => {
    const [a, b] = [await node(), await node()];
    const alice = await peer(a.url, 'alice');
    const bob = await peer(b.url, 'bob');
    alice.announce();
    await alice.next();
    await announceUntilCount(bob, 2);
    await redis.restart();
    // Served from memory while Redis is empty or away: a local announce always gets its reply.
    const carol = await peer(a.url, 'carol');
    carol.announce();
    assert.equal((await carol.next())['info_hash'], HASH);
    await until(() => a.stats().cluster?.redisConnected === true && b.stats().cluster?.redisConnected === true, 'both nodes back on Redis');
    // alice and carol (node a) and bob (node b) are in Redis again without announcing.
    await announceUntilCount(bob, 3);
    const offer = { offer_id: wireId('offer-4'), offer: { type: 'offer', sdp: 'v=0 after the restart' } };
    const inboxes = [alice, carol];
    bob.announce({ offers: [offer], numwant: 1 });
    await bob.next();
    const received = await Promise.race(inboxes.map(async (client) => client.next()));
    assert.equal(received['offer_id'], offer.offer_id);
  });
});
