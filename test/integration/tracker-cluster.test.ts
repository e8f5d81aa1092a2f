import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { WebSocket } from 'ws';
import { swarmKey } from '../../tracker/cluster/redis-scripts.ts';
import { startTracker, type RunningTracker, type TrackerDependencies } from '../../tracker/server.ts';
import { runTrackerCli } from '../helpers/tracker-cli.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { jsonInbox } from '../helpers/json-inbox.ts';
import { pollExternal } from '../helpers/poll-external.ts';
import { redisLines } from '../helpers/redis-cli.ts';
import { RedisServer } from '../helpers/redis-server.ts';
import { eventLogger, guarded, waitFor } from '../helpers/wait-for.ts';
import { CLUSTER_TEST_SETTINGS } from '../helpers/cluster-peer.ts';

const HASH = wireId('cluster-swarm');
const CLUSTER_SETTINGS = CLUSTER_TEST_SETTINGS;
const CLI_FLAGS = [
  '--cluster-heartbeat',
  '200',
  '--announce-rate',
  '1000',
  '--announce-burst',
  '1000',
  '--new-peer-probation',
  '0',
];

interface Peer {
  readonly socket: WebSocket;
  next(): Promise<Record<string, unknown>>;
  announce(extra?: Record<string, unknown>): void;
}

// What a node knows of the swarm's peers on other nodes it reads from Redis (on an announce, when a
// Redis call returns): no event in this process says another node's write landed. Such counts are
// re-read (pollExternal), at most 600 reads 50 ms apart: a liveness guard well inside mocha's.
const REDIS_COUNTS = { intervalMs: 50, attempts: 600 };
// Liveness guards for single events (a relayed message, a node's log line, a CLI's first line).
const MESSAGE_GUARD_MS = 20_000;
const CONNECT_GUARD_MS = 60_000;

describe('tracker cluster on a real Redis', function () {
  // Liveness guard only: a tracker CLI under tsx takes 5-15 s to start on a loaded 2-core machine.
  this.timeout(120_000);
  let redis: RedisServer;
  const trackers: RunningTracker[] = [];
  const sockets: WebSocket[] = [];
  const children: ChildProcess[] = [];
  // The in-process nodes' info lines as events: a node back on Redis logs that it added its peers again.
  let nodeLog = eventLogger('info');
  beforeEach(() => {
    nodeLog = eventLogger('info');
  });

  const node = async (dependencies: TrackerDependencies = {}): Promise<RunningTracker> => {
    const tracker = await startTracker(
      { ...CLUSTER_SETTINGS, redisUrl: redis.url },
      { logger: nodeLog.logger, ...dependencies },
    );
    trackers.push(tracker);
    return tracker;
  };
  const peer = async (url: string, name: string, infoHash = HASH): Promise<Peer> => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    sockets.push(socket);
    const next = jsonInbox(socket);
    await once(socket, 'open');
    return {
      socket,
      next,
      announce: (extra = {}) =>
        socket.send(
          JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: wireId(name), numwant: 5, ...extra }),
        ),
    };
  };
  /** Announce until the reply counts `peers` in the swarm (counts over nodes lag one announce). */
  const announceUntilCount = async (client: Peer, peers: number): Promise<void> => {
    // Polled: the count includes other nodes' peers, which this process learns only from Redis.
    await pollExternal(
      `a swarm of ${peers} across nodes`,
      async () => {
        client.announce();
        const reply = await guarded(client.next(), 'the reply to an announce', MESSAGE_GUARD_MS);
        return Number(reply['incomplete']) + Number(reply['complete']);
      },
      (counted) => counted === peers,
      REDIS_COUNTS,
    );
  };
  /** The tracker command's first stdout line: `listening`, with its URL. */
  const listeningLine = async (lines: AsyncIterator<string>) =>
    JSON.parse(
      String((await guarded(lines.next(), 'the tracker command to print its URL', CONNECT_GUARD_MS)).value),
    ) as {
      url: string;
      workers?: number;
      node?: string;
      host?: string;
      pid?: number;
      nodes?: { pid: number; node: string }[];
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
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('relays an offer from a peer on one node to a peer on the other, and the answer back', async () => {
    const [a, b] = [await node(), await node()];
    const alice = await peer(a.url, 'alice');
    const bob = await peer(b.url, 'bob');
    alice.announce();
    await alice.next();
    // Alice reaches Redis after her reply (the Lua call is asynchronous): wait until node b counts
    // her, so bob's offer has someone on the other node to go to.
    await announceUntilCount(bob, 2);
    const offer = { offer_id: wireId('offer-1'), offer: { type: 'offer', sdp: 'v=0 from bob on node b' } };
    bob.announce({ offers: [offer] });
    await bob.next();
    const relayed = await guarded(alice.next(), "bob's offer relayed to alice on node a", MESSAGE_GUARD_MS);
    assert.deepEqual(relayed, {
      action: 'announce',
      offer: offer.offer,
      offer_id: offer.offer_id,
      peer_id: wireId('bob'),
      info_hash: HASH,
    });
    alice.socket.send(
      JSON.stringify({
        action: 'announce',
        info_hash: HASH,
        peer_id: wireId('alice'),
        to_peer_id: wireId('bob'),
        offer_id: offer.offer_id,
        answer: { type: 'answer', sdp: 'v=0 from alice on node a' },
      }),
    );
    assert.deepEqual(await guarded(bob.next(), "alice's answer relayed to bob on node b", MESSAGE_GUARD_MS), {
      action: 'announce',
      answer: { type: 'answer', sdp: 'v=0 from alice on node a' },
      offer_id: offer.offer_id,
      peer_id: wireId('alice'),
      info_hash: HASH,
    });
    await announceUntilCount(bob, 2);
    const cluster = b.stats().cluster;
    assert.ok(cluster !== undefined && cluster.redisConnected);
    assert.deepEqual(
      cluster.topSwarms.find((swarm) => swarm.infoHash === HASH),
      { infoHash: HASH, peers: 2, seeders: 0 },
    );
    assert.equal(a.stats().cluster?.relayedOut, 1, 'the answer went back over Redis');
    const metrics = await (await fetch(`${b.url.replace('ws://', 'http://')}/metrics`)).text();
    assert.match(metrics, /^peercdn_tracker_cluster_redis_connected 1$/m);
    assert.match(
      metrics,
      new RegExp(`^peercdn_tracker_cluster_swarm_peers\\{info_hash="${Buffer.from(HASH).toString('hex')}"\\} 2$`, 'm'),
    );
    assert.match(metrics, /^peercdn_tracker_cluster_relayed_in_total 1$/m);
  });

  it("sends an offer for another node in its announce's own turn to a peer an earlier script picked and no offer took", async () => {
    // One wall clock at 1/100 speed for both nodes (leases, expiries and picks alike): a kept pick
    // stays young enough to use (remote-picks.ts) however slowly this machine runs the test.
    const startMs = Date.now();
    const nowUnixMs = (): number => startMs + (Date.now() - startMs) / 100;
    const [a, b] = [await node({ nowUnixMs }), await node({ nowUnixMs })];
    const onA = [await peer(a.url, 'alice'), await peer(a.url, 'dave')];
    for (const one of onA) {
      one.announce();
      await one.next();
    }
    const bob = await peer(b.url, 'bob');
    await announceUntilCount(bob, 3);
    const offer = (n: number) => ({ offer_id: wireId(`early-${n}`), offer: { type: 'offer', sdp: `v=0 bob ${n}` } });
    const arrivals = onA.map((one) => guarded(one.next(), 'an offer from bob', MESSAGE_GUARD_MS));
    // The first offer waits for its script, which picks both peers on node a: one takes it, one is kept.
    bob.announce({ offers: [offer(1)] });
    await bob.next();
    const first = await Promise.race(arrivals.map((arrival, index) => arrival.then(() => index)));
    assert.equal((await arrivals[first])?.['offer_id'], wireId('early-1'));
    assert.equal(b.stats().cluster?.offersSentEarly, 0);
    // The second goes to the kept one at once.
    bob.announce({ offers: [offer(2)] });
    await bob.next();
    assert.equal((await arrivals[1 - first])?.['offer_id'], wireId('early-2'));
    assert.equal(b.stats().cluster?.offersSentEarly, 1);
    assert.equal(a.stats().cluster?.undeliverable, 0);
  });

  it("arms no timer per Redis command (node-redis 6 would: AbortSignal.timeout per command); a hung Redis is the PING probe's to catch", async () => {
    const a = await node();
    const alice = await peer(a.url, 'alice');
    const timeout = AbortSignal.timeout.bind(AbortSignal);
    let armed = 0;
    AbortSignal.timeout = (ms: number) => {
      armed += 1;
      return timeout(ms);
    };
    try {
      // Each announce is a Lua call; the second reply carries the count the first one's call read.
      await announceUntilCount(alice, 1);
      alice.announce();
      await alice.next();
    } finally {
      AbortSignal.timeout = timeout;
    }
    assert.equal(armed, 0);
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
  it('a node killed without a goodbye has its peers taken out of every swarm by a survivor (and nothing else), and the survivor keeps serving', async () => {
    const b = await node();
    const { child, lines } = runTrackerCli(['--host', '127.0.0.1', '--port', '0', '--redis', redis.url, ...CLI_FLAGS]);
    children.push(child);
    const listening = await listeningLine(lines);
    const statsUrl = `${listening.url.replace('ws://', 'http://')}/stats.json`;
    const deadNode = ((await (await fetch(statsUrl)).json()) as { cluster: { nodeId: string } }).cluster.nodeId;
    // The random node id of /stats.json is paired with its host and process in the log line only.
    assert.deepEqual([listening.node, listening.host, listening.pid], [deadNode, hostname(), child.pid]);
    // Two swarms with peers on both nodes: alice and carol (the dying node) with bob in one, erin
    // (the dying node) with dave in the other.
    const other = wireId('cluster-swarm-two');
    const alice = await peer(listening.url, 'alice');
    const carol = await peer(listening.url, 'carol');
    const erin = await peer(listening.url, 'erin', other);
    const bob = await peer(b.url, 'bob');
    const dave = await peer(b.url, 'dave', other);
    for (const client of [alice, carol, erin]) {
      client.announce();
      await guarded(client.next(), 'the reply to an announce', MESSAGE_GUARD_MS);
    }
    await announceUntilCount(bob, 3);
    await announceUntilCount(dave, 2);
    const nodes = (infoHash: string) => redisLines(redis.url, ['HVALS', `pc:{${swarmKey(infoHash)}}:nodes`]);
    assert.deepEqual((await nodes(other)).sort(), [b.stats().cluster?.nodeId, deadNode].sort());

    // Registered before the kill: resolves with the fields of node b's reaping line.
    const reaped = new Promise<Record<string, unknown>>((resolve) => {
      const onLine = (fields: Record<string, unknown>): void => {
        if (fields['message'] !== 'dead tracker node reaped') return;
        nodeLog.log.off('line', onLine);
        resolve(fields);
      };
      nodeLog.log.on('line', onLine);
    });
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    const reaping = await guarded(reaped, 'node b to reap the dead node', CONNECT_GUARD_MS);
    assert.deepEqual(
      { node: reaping['node'], peers: reaping['peers'] },
      { node: deadNode, peers: 3 },
      'alice, carol and erin',
    );
    // What the reap left in Redis: in each swarm only node b's peer.
    for (const [infoHash, left] of [
      [HASH, 'bob'],
      [other, 'dave'],
    ] as const) {
      assert.deepEqual(await redisLines(redis.url, ['ZRANGE', `pc:{${swarmKey(infoHash)}}:peers`, '0', '-1']), [
        wireId(left),
      ]);
      assert.deepEqual(await nodes(infoHash), [b.stats().cluster?.nodeId]);
    }
    assert.deepEqual(await redisLines(redis.url, ['ZSCORE', 'pc:nodes', deadNode]), []);
    await announceUntilCount(bob, 1);
    assert.equal(b.stats().cluster?.reapedPeers, 3);
    // Node b still relays between its own peers.
    const frank = await peer(b.url, 'frank');
    frank.announce({ offers: [{ offer_id: wireId('offer-3'), offer: { type: 'offer', sdp: 'v=0 after the crash' } }] });
    await frank.next();
    assert.equal(
      (await guarded(bob.next(), "frank's offer relayed to bob", MESSAGE_GUARD_MS))['offer_id'],
      wireId('offer-3'),
    );
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
    assert.equal(
      (await guarded(carol.next(), 'the reply to carol while Redis restarts', MESSAGE_GUARD_MS))['info_hash'],
      HASH,
    );
    // Each node logs once it is back on Redis and again once it has added its peers there.
    await waitFor(
      nodeLog.log,
      ['line'],
      () => a.stats().cluster?.redisConnected === true && b.stats().cluster?.redisConnected === true,
      'both nodes back on Redis',
      CONNECT_GUARD_MS,
    );
    // alice and carol (node a) and bob (node b) are in Redis again without announcing.
    await announceUntilCount(bob, 3);
    const offer = { offer_id: wireId('offer-4'), offer: { type: 'offer', sdp: 'v=0 after the restart' } };
    const inboxes = [alice, carol];
    bob.announce({ offers: [offer], numwant: 1 });
    await bob.next();
    const received = await guarded(
      Promise.race(inboxes.map(async (client) => client.next())),
      "bob's offer relayed to alice or carol",
      MESSAGE_GUARD_MS,
    );
    assert.equal(received['offer_id'], offer.offer_id);
  });
  it('--workers 2 runs two tracker processes on one port that share swarms, and SIGTERM stops them all', async () => {
    const { child, lines } = runTrackerCli([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--workers',
      '2',
      '--redis',
      redis.url,
      ...CLI_FLAGS,
    ]);
    children.push(child);
    const listening = await listeningLine(lines);
    assert.equal(listening.workers, 2);
    const statsUrl = `${listening.url.replace('ws://', 'http://')}/stats.json`;
    const nodeIds = new Set<string>();
    for (let i = 0; i < 6; i++)
      nodeIds.add(((await (await fetch(statsUrl)).json()) as { cluster: { nodeId: string } }).cluster.nodeId);
    assert.equal(nodeIds.size, 2, 'connections are spread over two processes');
    assert.deepEqual(new Set(listening.nodes?.map((worker) => worker.node)), nodeIds);
    // Whichever worker each socket lands on, the swarm is one.
    const alice = await peer(listening.url, 'alice');
    const bob = await peer(listening.url, 'bob');
    alice.announce();
    await alice.next();
    await announceUntilCount(bob, 2);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    assert.deepEqual(await exited, [0, null]);
  });
});
