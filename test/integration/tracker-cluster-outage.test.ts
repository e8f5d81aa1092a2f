import assert from 'node:assert/strict';

import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { ClusterError } from '../../tracker/cluster/redis-link.ts';
import { swarmKey } from '../../tracker/cluster/redis-scripts.ts';
import { CLUSTER_TEST_SETTINGS, clusterPeer, recordingLogger } from '../helpers/cluster-peer.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { pollExternal } from '../helpers/poll-external.ts';
import { redisLines } from '../helpers/redis-cli.ts';
import { RedisServer } from '../helpers/redis-server.ts';
import { freePort, stopProgram } from '../helpers/system-process.ts';
import { runTrackerCli } from '../helpers/tracker-cli.ts';
import { guarded } from '../helpers/wait-for.ts';

const HASH = wireId('outage-swarm');
const SETTINGS = { ...CLUSTER_TEST_SETTINGS, logLevel: 'info' } as const;
// Liveness guards: a log line or a relayed message; the command's exit (tsx start-up is 5-15 s here).
const LINE_GUARD_MS = 30_000;
const EXIT_GUARD_MS = 60_000;

async function metricValue(tracker: RunningTracker, series: string): Promise<number> {
  const text = await (await fetch(`${tracker.url.replace('ws://', 'http://')}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  assert.ok(line !== undefined, `${series} is exported`);
  return Number(line.slice(series.length + 1));
}

describe('tracker cluster when Redis is unreachable', function () {
  // Liveness guard only: the CLI under tsx takes 5-15 s to start on a loaded machine.
  this.timeout(120_000);
  let redis: RedisServer | null = null;
  const trackers: RunningTracker[] = [];
  const sockets: WebSocket[] = [];
  const children: ChildProcess[] = [];

  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => stopProgram(child)));
    for (const socket of sockets.splice(0)) socket.terminate();
    await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
    await redis?.stop();
    redis = null;
  });

  const peer = (tracker: Pick<RunningTracker, 'url'>, name: string) => clusterPeer(tracker, name, HASH, sockets);

  /** Two nodes on one Redis, alice on a and bob on b, once bob's replies count both. */
  const twoNodes = async (
    server: RedisServer,
    extra: { redisCommandTimeoutMs?: number; redisMaxPendingCommands?: number },
  ) => {
    const logs = [recordingLogger(), recordingLogger()];
    const [a, b] = await Promise.all(
      logs.map((log) => startTracker({ ...SETTINGS, ...extra, redisUrl: server.url }, { logger: log.logger })),
    );
    assert.ok(a !== undefined && b !== undefined);
    trackers.push(a, b);
    const alice = await peer(a, 'alice');
    const bob = await peer(b, 'bob');
    alice.announce();
    await alice.next();
    await bob.announceUntilCount(2);
    return { logs, a, b, alice, bob };
  };

  it('refuses to start with a ClusterError naming the URL, without the password, when Redis does not answer in time', async () => {
    const url = `redis://:hunter2@127.0.0.1:${await freePort()}`;
    await assert.rejects(
      startTracker({ ...SETTINGS, logLevel: 'off', redisUrl: url, redisConnectTimeoutMs: 300 }),
      (error: unknown) => {
        assert.ok(error instanceof ClusterError);
        assert.equal(error.code, 'redis-unreachable');
        assert.match(error.message, /127\.0\.0\.1/);
        assert.match(error.message, /redisConnectTimeoutMs/);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      },
    );
  });

  it('the command exits with code 3 and says why when Redis is not there at start-up', async () => {
    const { child } = runTrackerCli([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--redis',
      `redis://127.0.0.1:${await freePort()}`,
      '--redis-connect-timeout',
      '300',
    ]);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await guarded(once(child, 'exit'), 'the command to exit', EXIT_GUARD_MS)) as [number | null];
    assert.equal(code, 3);
    assert.match(stderr, /Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer within 300 ms/);
  });

  it('while Redis is down each node keeps relaying between its own peers and reports the link down; when Redis is back the swarm is whole again', async () => {
    redis = await RedisServer.start();
    const { logs, a, b, alice, bob } = await twoNodes(redis, {});

    await redis.stop();
    await Promise.all(logs.map((log) => log.next('redis connection lost; serving local peers only')));
    assert.equal(await metricValue(a, 'peercdn_tracker_cluster_redis_connected'), 0);
    assert.equal(await metricValue(a, 'peercdn_tracker_cluster_redis_connection_losses_total'), 1);
    assert.equal(a.stats().cluster?.redisLinkState, 'down');

    // Node a serves on from memory: a new peer gets its reply and its offer reaches alice.
    const carol = await peer(a, 'carol');
    const offer = { offer_id: wireId('offer-outage'), offer: { type: 'offer', sdp: 'v=0 while redis is down' } };
    carol.announce({ offers: [offer] });
    assert.equal((await carol.next())['info_hash'], HASH);
    assert.equal((await alice.next())['offer_id'], offer.offer_id);

    await redis.restart();
    await Promise.all(logs.map((log) => log.next('redis connection back; adding local peers again')));
    const readded = await Promise.all(logs.map((log) => log.next('local peers added to redis again')));
    assert.deepEqual(
      readded.map((fields) => fields['peers']),
      [2, 1],
      'node a re-added alice and carol, node b bob',
    );
    assert.equal(await metricValue(b, 'peercdn_tracker_cluster_redis_connected'), 1);
    assert.ok((await metricValue(b, 'peercdn_tracker_cluster_redis_reconnect_attempts_total')) >= 1);
    await bob.announceUntilCount(3);
    // And offers cross nodes again.
    const crossing = { offer_id: wireId('offer-after'), offer: { type: 'offer', sdp: 'v=0 after the outage' } };
    bob.announce({ offers: [crossing], numwant: 1 });
    await bob.next();
    const received = await guarded(
      Promise.race([alice.inbox(), carol.inbox()]),
      'the offer relayed to alice or carol',
      LINE_GUARD_MS,
    );
    assert.equal(received['offer_id'], crossing.offer_id);
  });

  it('a Redis that stops answering but keeps the connection open (SIGSTOP) counts as lost within the command timeout; local relays go on; once it answers again the nodes add their peers back', async () => {
    const server = await RedisServer.start();
    redis = server;
    const { logs, a, alice, bob } = await twoNodes(server, { redisCommandTimeoutMs: 300 });

    await server.pause();
    const lost = await Promise.all(logs.map((log) => log.next('redis connection lost; serving local peers only')));
    assert.deepEqual(
      lost.map((fields) => fields['error']),
      ['no answer to PING within 300 ms', 'no answer to PING within 300 ms'],
    );
    assert.equal(await metricValue(a, 'peercdn_tracker_cluster_redis_connected'), 0);
    assert.ok((await metricValue(a, 'peercdn_tracker_cluster_redis_unanswered_pings_total')) >= 1);
    const carol = await peer(a, 'carol');
    const offer = { offer_id: wireId('offer-hung'), offer: { type: 'offer', sdp: 'v=0 while redis hangs' } };
    carol.announce({ offers: [offer] });
    assert.equal((await carol.next())['info_hash'], HASH);
    assert.equal((await alice.next())['offer_id'], offer.offer_id);

    server.resume();
    await Promise.all(logs.map((log) => log.next('redis connection back; adding local peers again')));
    const readded = await Promise.all(logs.map((log) => log.next('local peers added to redis again')));
    assert.deepEqual(
      readded.map((fields) => fields['peers']),
      [2, 1],
    );
    assert.equal(await metricValue(a, 'peercdn_tracker_cluster_redis_connected'), 1);
    await bob.announceUntilCount(3);
  });

  it('before a hung Redis is noticed, commands waiting on it stay within redisMaxPendingCommands (the rest shed and counted) and every announce is answered from memory; they drain once it answers', async () => {
    const server = await RedisServer.start();
    redis = server;
    // A command timeout this long keeps the probe from calling the link lost during the test: what
    // is under test is the time before it does.
    const { a, alice, bob } = await twoNodes(server, { redisCommandTimeoutMs: 60_000, redisMaxPendingCommands: 20 });

    await server.pause();
    const announces = 60;
    for (let i = 0; i < announces; i++) alice.announce();
    for (let i = 0; i < announces; i++) assert.equal((await alice.next())['info_hash'], HASH);
    const hung = a.stats().cluster;
    assert.equal(hung?.redisLinkState, 'up', 'the probe has not judged yet');
    assert.equal(hung.redisPendingCommands, 20);
    assert.equal(hung.redisCommandsShed, announces - 20);
    assert.equal(await metricValue(a, 'peercdn_tracker_cluster_redis_pending_commands'), 20);
    assert.equal(await metricValue(a, 'peercdn_tracker_cluster_redis_commands_shed_total'), announces - 20);

    server.resume();
    // Polled: the waiting commands drain as Redis answers them; the node has no event for that.
    await pollExternal(
      'the commands waiting on Redis to be answered',
      () => a.stats().cluster?.redisPendingCommands,
      (pending) => pending === 0,
      { intervalMs: 20, attempts: 1500 },
    );
    assert.equal(a.stats().cluster?.redisConnectionLosses, 0);
    await bob.announceUntilCount(2);
  });

  it('after an outage a node reaps no other node for its grace (3 leases + 2 command timeouts): a node killed while Redis hung has its peers taken out of every swarm only then, and the live nodes keep theirs', async () => {
    const server = await RedisServer.start();
    redis = server;
    // One log for both in-process nodes: link lines name their node, the reaping line its reaper.
    const log = recordingLogger();
    const commandTimeoutMs = 300;
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        startTracker(
          { ...SETTINGS, redisCommandTimeoutMs: commandTimeoutMs, redisUrl: server.url },
          { logger: log.logger },
        ),
      ),
    );
    assert.ok(a !== undefined && b !== undefined);
    trackers.push(a, b);
    // Node c, a real process to kill.
    const { child, lines } = runTrackerCli([
      ...[
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--redis',
        server.url,
        '--cluster-heartbeat',
        String(SETTINGS.clusterHeartbeatMs),
      ],
      ...['--redis-command-timeout', String(commandTimeoutMs), '--announce-rate', '1000', '--announce-burst', '1000'],
      ...['--new-peer-probation', '0'],
    ]);
    children.push(child);
    const listening = JSON.parse(
      String((await guarded(lines.next(), 'node c to print its URL', EXIT_GUARD_MS)).value),
    ) as { url: string };
    const c = { url: listening.url };
    const statsUrl = `${listening.url.replace('ws://', 'http://')}/stats.json`;
    const deadNode = ((await (await fetch(statsUrl)).json()) as { cluster: { nodeId: string } }).cluster.nodeId;
    const other = wireId('outage-swarm-two');
    // One swarm: alice (a), bob (b), carol (c); the other: dave (a), erin (c).
    const alice = await peer(a, 'alice');
    const bob = await peer(b, 'bob');
    const carol = await peer(c, 'carol');
    const dave = await clusterPeer(a, 'dave', other, sockets);
    const erin = await clusterPeer(c, 'erin', other, sockets);
    for (const client of [alice, carol, erin]) {
      client.announce();
      await client.next();
    }
    await bob.announceUntilCount(3);
    await dave.announceUntilCount(2);

    // Redis hangs; both nodes call it lost; node c dies meanwhile; Redis answers again.
    await server.pause();
    await log.next('redis connection lost; serving local peers only');
    await log.next('redis connection lost; serving local peers only');
    await stopProgram(child);
    server.resume();
    const back = [
      await log.next('redis connection back; adding local peers again'),
      await log.next('redis connection back; adding local peers again'),
    ];
    const reaping = await log.next('dead tracker node reaped');
    assert.deepEqual(
      { node: reaping['node'], peers: reaping['peers'] },
      { node: deadNode, peers: 2 },
      'carol and erin',
    );
    const reaperBack = back.find((fields) => fields['node'] === reaping['by']);
    assert.ok(reaperBack !== undefined, 'the reaper is node a or b, and it was back on Redis before reaping');
    const graceMs = 3 * SETTINGS.clusterHeartbeatMs + 2 * commandTimeoutMs;
    assert.ok(
      Date.parse(String(reaping['time'])) - Date.parse(String(reaperBack['time'])) >= graceMs,
      `reaped at ${String(reaping['time'])}, not before ${graceMs} ms after the reaper was back at ${String(reaperBack['time'])}`,
    );
    // Only node c was reaped: each swarm holds the live nodes' peers, the registry the live nodes.
    const members = async (infoHash: string) =>
      (await redisLines(server.url, ['ZRANGE', `pc:{${swarmKey(infoHash)}}:peers`, '0', '-1'])).sort();
    assert.deepEqual(await members(HASH), [wireId('alice'), wireId('bob')].sort());
    assert.deepEqual(await members(other), [wireId('dave')]);
    const liveNodes = [a.stats().cluster?.nodeId, b.stats().cluster?.nodeId].sort();
    assert.deepEqual((await redisLines(server.url, ['ZRANGE', 'pc:nodes', '0', '-1'])).sort(), liveNodes);
    await bob.announceUntilCount(2);
  });
});
