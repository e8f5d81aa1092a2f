import assert from 'node:assert/strict';

import type { WebSocket } from 'ws';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { clusterPeer, recordingLogger } from '../helpers/cluster-peer.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { RedisSentinelGroup } from '../helpers/redis-sentinel.ts';

const HASH = wireId('sentinel-swarm');
const SETTINGS = {
  host: '127.0.0.1',
  port: 0,
  clusterHeartbeatMs: 200,
  redisCommandTimeoutMs: 300,
  announceRatePerSecond: 1000,
  announceBurst: 1000,
  newPeerProbationMs: 0,
  logLevel: 'info',
} as const;

describe('tracker cluster on a Sentinel-managed Redis', function () {
  // Liveness guard only: start-up, replica sync and a failover (300 ms down-after) on a loaded machine.
  this.timeout(120_000);
  let group: RedisSentinelGroup | null = null;
  const trackers: RunningTracker[] = [];
  const sockets: WebSocket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
    await group?.stop();
    group = null;
  });

  /** A Sentinel group and two nodes on it, alice on a and bob on b, once bob's replies count both. */
  const twoNodes = async () => {
    const sentinelGroup = await RedisSentinelGroup.start();
    group = sentinelGroup;
    const logs = [recordingLogger(), recordingLogger()];
    const [a, b] = await Promise.all(
      logs.map((log) =>
        startTracker(
          { ...SETTINGS, redisSentinels: sentinelGroup.sentinels, redisSentinelName: sentinelGroup.masterName },
          { logger: log.logger },
        ),
      ),
    );
    assert.ok(a !== undefined && b !== undefined);
    trackers.push(a, b);
    const alice = await clusterPeer(a, 'alice', HASH, sockets);
    const bob = await clusterPeer(b, 'bob', HASH, sockets);
    alice.announce();
    await alice.next();
    await bob.announceUntilCount(2);
    return { sentinelGroup, logs, a, b, alice, bob };
  };

  /** Both nodes back on the promoted replica, their peers re-added, and an offer and its answer crossing nodes through it. */
  const backThroughNewMaster = async ({
    logs,
    a,
    b,
    alice,
    bob,
  }: Omit<Awaited<ReturnType<typeof twoNodes>>, 'sentinelGroup'>) => {
    await Promise.all(logs.map((log) => log.next('redis connection back; adding local peers again')));
    const readded = await Promise.all(logs.map((log) => log.next('local peers added to redis again')));
    assert.deepEqual(
      readded.map((fields) => fields['peers']),
      [1, 1],
      'node a re-added alice, node b bob',
    );
    for (const node of [a, b]) {
      assert.equal(node.stats().cluster?.redisLinkState, 'up');
      assert.ok((node.stats().cluster?.redisConnectionLosses ?? 0) >= 1);
    }

    // Through the promoted replica: bob's offer crosses to alice on the other node, her answer comes back.
    await bob.announceUntilCount(2);
    const offer = { offer_id: wireId('offer-failover'), offer: { type: 'offer', sdp: 'v=0 after failover' } };
    bob.announce({ offers: [offer], numwant: 1 });
    await bob.next();
    const received = await alice.next();
    assert.equal(received['offer_id'], offer.offer_id);
    assert.equal(received['peer_id'], wireId('bob'));
    alice.announce({
      to_peer_id: wireId('bob'),
      offer_id: offer.offer_id,
      answer: { type: 'answer', sdp: 'v=0 answer after failover' },
    });
    const answer = await bob.next();
    assert.equal(answer['offer_id'], offer.offer_id);
    assert.equal(answer['peer_id'], wireId('alice'));
    assert.ok((a.stats().cluster?.relayedIn ?? 0) >= 1 && (b.stats().cluster?.relayedIn ?? 0) >= 1);
  };

  it('finds the master through the sentinel; when the master dies and the replica is promoted, both nodes follow it, add their peers back, and peers on different nodes still reach each other', async () => {
    const { sentinelGroup, logs, a, b, alice, bob } = await twoNodes();

    const failedOver = sentinelGroup.failedOver();
    await sentinelGroup.killMaster();
    await Promise.all(logs.map((log) => log.next('redis connection lost; serving local peers only')));
    await failedOver;
    await backThroughNewMaster({ logs, a, b, alice, bob });
  });

  it('a master that hangs (SIGSTOP) is taken as lost within the command timeout; once the sentinel promotes the replica, the nodes reconnect through the sentinel, add their peers back and relay across nodes again', async () => {
    const { sentinelGroup, logs, a, b, alice, bob } = await twoNodes();
    const failedOver = sentinelGroup.failedOver();
    sentinelGroup.pauseMaster();
    const lost = await Promise.all(logs.map((log) => log.next('redis connection lost; serving local peers only')));
    assert.deepEqual(
      lost.map((fields) => fields['error']),
      ['no answer to PING within 300 ms', 'no answer to PING within 300 ms'],
    );
    await failedOver;
    await backThroughNewMaster({ logs, a, b, alice, bob });
  });
});
