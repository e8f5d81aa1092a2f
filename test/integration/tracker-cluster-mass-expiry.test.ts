// A mass expiry on a cluster node (a network cut: every viewer of a swarm falls silent at once)
// reaches Redis as one leave script per swarm, not one per peer: per peer, 10,000 leaves of one
// sweep turn filled the node's bound on pending Redis commands and shed the announces behind them.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { swarmKey } from '../../tracker/cluster/redis-scripts.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { CLUSTER_TEST_SETTINGS } from '../helpers/cluster-peer.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { jsonInbox } from '../helpers/json-inbox.ts';
import { pollExternal } from '../helpers/poll-external.ts';
import { redisLines } from '../helpers/redis-cli.ts';
import { RedisServer } from '../helpers/redis-server.ts';

const HASH = wireId('expiring-swarm');
const PEERS = 300;
const PEER_TIMEOUT_MS = 10_000;
// What a node wrote to Redis has no event in this process: it is re-read (a liveness guard).
const REDIS_READS = { intervalMs: 50, attempts: 600 };

/** Calls of Lua scripts Redis has run so far (EVALSHA and EVAL), from INFO commandstats. */
async function scriptCalls(url: string): Promise<number> {
  let calls = 0;
  for (const line of await redisLines(url, ['INFO', 'commandstats'])) {
    const match = /^cmdstat_(?:evalsha|eval):calls=(\d+)/.exec(line);
    if (match !== null) calls += Number(match[1]);
  }
  return calls;
}

describe('tracker cluster: a mass expiry leaves Redis in one script per swarm', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let tracker: RunningTracker | null = null;
  const sockets: WebSocket[] = [];

  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await tracker?.close();
    tracker = null;
  });

  it(`takes ${PEERS} peers that expire in one sweep out of Redis with a handful of scripts, and the node's registration of the swarm with them`, async () => {
    // The core's clock (peer expiry) moves on at the test's word; Redis leases keep the real one.
    let skippedMs = 0;
    const nowMs = (): number => performance.now() + skippedMs;
    tracker = await startTracker(
      {
        ...CLUSTER_TEST_SETTINGS,
        redisUrl: redis.url,
        announceIntervalSeconds: 5,
        peerTimeoutMs: PEER_TIMEOUT_MS,
        sweepIntervalMs: 100,
      },
      { nowMs },
    );
    const { url } = tracker;
    await Promise.all(
      Array.from({ length: PEERS }, async (_, i) => {
        const socket = new WebSocket(url, { perMessageDeflate: false });
        sockets.push(socket);
        const next = jsonInbox(socket);
        await once(socket, 'open');
        socket.send(
          JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId(`silent-${i}`), numwant: 0 }),
        );
        await next();
      }),
    );
    const peersKey = `pc:{${swarmKey(HASH)}}:peers`;
    const registration = `pc:node:${tracker.stats().cluster?.nodeId ?? ''}:swarms`;
    await pollExternal(
      `${PEERS} peers in Redis`,
      async () => Number((await redisLines(redis.url, ['ZCARD', peersKey]))[0]),
      (count) => count === PEERS,
      REDIS_READS,
    );
    assert.deepEqual(await redisLines(redis.url, ['SMEMBERS', registration]), [swarmKey(HASH)]);
    const before = await scriptCalls(redis.url);

    skippedMs = PEER_TIMEOUT_MS + 1000;
    await pollExternal(
      'the expired peers gone from Redis',
      async () => Number((await redisLines(redis.url, ['ZCARD', peersKey]))[0]),
      (count) => count === 0,
      REDIS_READS,
    );
    const scripts = (await scriptCalls(redis.url)) - before;

    assert.equal(tracker.stats().peers, 0);
    assert.deepEqual(await redisLines(redis.url, ['HLEN', `pc:{${swarmKey(HASH)}}:nodes`]), ['0']);
    assert.deepEqual(await redisLines(redis.url, ['SMEMBERS', registration]), []);
    // One leave script for the swarm, beside the node's own lease scripts meanwhile (one per
    // 200-ms heartbeat); one per peer would be at least 300.
    console.log(`      ${scripts} scripts while ${PEERS} peers left`);
    assert.ok(scripts < PEERS / 10, `${scripts} scripts ran while ${PEERS} peers left`);
  });
});
