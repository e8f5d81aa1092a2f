import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { WebSocket } from 'ws';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { jsonInbox } from '../helpers/json-inbox.ts';
import { pollExternal } from '../helpers/poll-external.ts';
import { RedisClusterGroup } from '../helpers/redis-cluster.ts';
import { RedisServer } from '../helpers/redis-server.ts';
import { guarded, waitFor } from '../helpers/wait-for.ts';
import { CLUSTER_TEST_SETTINGS } from '../helpers/cluster-peer.ts';

const HASH = wireId('cluster-regions');
const CLUSTER_SETTINGS = CLUSTER_TEST_SETTINGS;
// What a node knows of other nodes' peers it reads from Redis with its own announces: no event here
// says another node's write landed, so counts are re-read, at most 600 reads 50 ms apart (liveness).
const REDIS_COUNTS = { intervalMs: 50, attempts: 600 };
const MESSAGE_GUARD_MS = 20_000;

interface Peer {
  readonly name: string;
  readonly region: string;
  announce(extra?: Record<string, unknown>): void;
  next(): Promise<Record<string, unknown>>;
}

describe('tracker cluster: peers of one region are introduced to each other first, across nodes', function () {
  // Liveness guard only.
  this.timeout(120_000);
  let redis: RedisServer | null = null;
  let group: RedisClusterGroup | null = null;
  const trackers: RunningTracker[] = [];
  const sockets: WebSocket[] = [];
  /** Every relayed offer: who sent it to whom; `offer` fires on each. */
  const offers: { from: string; to: Peer }[] = [];
  const arrivals = new EventEmitter();
  const peerIds = new Map<string, string>();

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
    await redis?.stop();
    await group?.stop();
    redis = null;
    group = null;
    offers.length = 0;
  });

  /** A tracker node on the test's Redis (one server, or a Redis Cluster). */
  const node = async (): Promise<RunningTracker> => {
    const store = group === null ? { redisUrl: redis?.url } : { redisClusterNodes: group.nodes };
    const tracker = await startTracker({ ...CLUSTER_SETTINGS, ...store });
    trackers.push(tracker);
    return tracker;
  };
  /** A peer of `region` (its `?region=` hint) on `tracker`. */
  const peer = async (tracker: RunningTracker, name: string, region: string): Promise<Peer> => {
    const socket = new WebSocket(`${tracker.url}/?region=${region}`, { perMessageDeflate: false });
    sockets.push(socket);
    const inbox = jsonInbox(socket);
    const self: Peer = {
      name,
      region,
      announce: (extra = {}) =>
        socket.send(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId(name), ...extra })),
      next: () => guarded(inbox(), `a message to ${name}`, MESSAGE_GUARD_MS),
    };
    peerIds.set(wireId(name), name);
    socket.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>;
      if (message['offer'] === undefined) return;
      offers.push({ from: peerIds.get(String(message['peer_id'])) ?? '?', to: self });
      arrivals.emit('offer');
    });
    await once(socket, 'open');
    return self;
  };
  /** A peer's socket, to make it leave. */
  const socketOf = (index: number): WebSocket => sockets[index] as WebSocket;
  /** Announce (no offers) until the reply counts `peers` over both nodes: the node's counts hold them all. */
  const announceUntilCount = async (client: Peer, peers: number): Promise<void> => {
    // Polled: the count includes other nodes' peers, which this process learns only from Redis.
    await pollExternal(
      `${client.name} to count ${peers} peers`,
      async () => {
        client.announce({ numwant: 0 });
        const reply = await client.next();
        return Number(reply['incomplete']) + Number(reply['complete']);
      },
      (counted) => counted === peers,
      REDIS_COUNTS,
    );
  };
  /** An announce with `count` offers: the peers they reach, once all arrived. */
  const introduce = async (newcomer: Peer, count: number): Promise<Peer[]> => {
    newcomer.announce({
      numwant: count,
      offers: Array.from({ length: count }, (_, n) => ({
        offer_id: wireId(`${newcomer.name}-offer-${n}`),
        offer: { type: 'offer', sdp: `v=0 offer ${n}` },
      })),
    });
    const from = () => offers.filter((offer) => offer.from === newcomer.name);
    await waitFor(arrivals, ['offer'], () => from().length === count, `${count} offers from ${newcomer.name}`);
    return from().map((offer) => offer.to);
  };
  const names = (peers: readonly Peer[]): string[] => peers.map((one) => one.name).sort();

  /** Two nodes, peers of two regions over both: newcomers' introductions, before and after a peer leaves. */
  const scenario = async (): Promise<void> => {
    const [a, b] = [await node(), await node()];
    // Node b: three eu peers and one us peer; node a: one eu peer and three us peers.
    const onB = [
      await peer(b, 'eu-b0', 'eu'),
      await peer(b, 'eu-b1', 'eu'),
      await peer(b, 'eu-b2', 'eu'),
      await peer(b, 'us-b0', 'us'),
    ];
    for (const one of onB) one.announce({ numwant: 0 });
    const usB0 = onB[3] as Peer;
    // Node b's peers are all in Redis before node a's announce: a's counts see them.
    await announceUntilCount(usB0, 4);
    const onA = [
      await peer(a, 'eu-a0', 'eu'),
      await peer(a, 'us-a0', 'us'),
      await peer(a, 'us-a1', 'us'),
      await peer(a, 'us-a2', 'us'),
    ];
    for (const one of onA) one.announce({ numwant: 0 });
    // Each node's counts of the swarm and of a region come with the announces of that region's peers there.
    await announceUntilCount(onA[0] as Peer, 8);
    await announceUntilCount(usB0, 8);

    // An eu newcomer on node a, where most peers are us: 4 offers, 4 eu peers (3 of them on node b).
    const euNew = await peer(a, 'eu-new', 'eu');
    const euReached = await introduce(euNew, 4);
    assert.deepEqual(names(euReached), ['eu-a0', 'eu-b0', 'eu-b1', 'eu-b2']);

    // A us newcomer on node b, where most peers are eu: 5 offers, the 4 us peers and one other.
    const usNew = await peer(b, 'us-new', 'us');
    const usReached = await introduce(usNew, 5);
    assert.deepEqual(names(usReached.filter((one) => one.region === 'us')), ['us-a0', 'us-a1', 'us-a2', 'us-b0']);
    assert.equal(usReached.filter((one) => one.region === 'eu').length, 1);
    assert.equal(new Set(usReached).size, 5, 'no peer twice');

    // A peer closes its socket and leaves (its region membership goes too, by a script that names its region key).
    socketOf(2).close();
    await announceUntilCount(usB0, 9);
    // Another eu peer on node a, counted with the swarm as it is now: 4 offers, the 4 eu peers still
    // there (one gone but still counted in its region would send one elsewhere at times).
    const euLate = await peer(a, 'eu-late', 'eu');
    await announceUntilCount(euLate, 10);
    assert.deepEqual(names(await introduce(euLate, 4)), ['eu-a0', 'eu-b0', 'eu-b1', 'eu-new']);
    for (const tracker of [a, b]) assert.equal(tracker.stats().cluster?.redisErrors, 0);
  };

  it('hands a newcomer its own region peers on both nodes first, then others (one Redis)', async () => {
    redis = await RedisServer.start();
    await scenario();
  });

  it('does the same on a three-shard Redis Cluster (region sets share the swarm hash tag)', async () => {
    group = await RedisClusterGroup.start();
    await scenario();
  });
});
