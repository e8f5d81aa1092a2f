import assert from 'node:assert/strict';

import type { WebSocket } from 'ws';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { clusterPeer } from '../helpers/cluster-peer.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { RedisClusterGroup } from '../helpers/redis-cluster.ts';

const SETTINGS = {
  host: '127.0.0.1',
  port: 0,
  clusterHeartbeatMs: 200,
  announceRatePerSecond: 1000,
  announceBurst: 1000,
  newPeerProbationMs: 0,
  logLevel: 'off',
} as const;

describe('tracker cluster on a Redis Cluster', function () {
  // Liveness guard only: three Redis nodes joined into a cluster and two trackers on a loaded machine.
  this.timeout(120_000);
  let group: RedisClusterGroup | null = null;
  const trackers: RunningTracker[] = [];
  const sockets: WebSocket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
    await group?.stop();
    group = null;
  });

  it('two nodes on a three-shard Redis Cluster: in several swarms (spread over slots) offers and answers cross nodes and counts are cluster-wide', async () => {
    const redisCluster = await RedisClusterGroup.start();
    group = redisCluster;
    const [a, b] = await Promise.all(
      [0, 1].map(() => startTracker({ ...SETTINGS, redisClusterNodes: redisCluster.nodes })),
    );
    assert.ok(a !== undefined && b !== undefined);
    trackers.push(a, b);
    for (const name of ['swarm-one', 'swarm-two', 'swarm-three']) {
      const hash = wireId(name);
      const alice = await clusterPeer(a, `alice-${name}`, hash, sockets);
      const bob = await clusterPeer(b, `bob-${name}`, hash, sockets);
      alice.announce();
      await alice.next();
      await bob.announceUntilCount(2);
      const offer = { offer_id: wireId(`offer-${name}`), offer: { type: 'offer', sdp: `v=0 ${name}` } };
      bob.announce({ offers: [offer], numwant: 1 });
      await bob.next();
      const received = await alice.next();
      assert.equal(received['offer_id'], offer.offer_id);
      assert.equal(received['info_hash'], hash);
      alice.announce({
        to_peer_id: wireId(`bob-${name}`),
        offer_id: offer.offer_id,
        answer: { type: 'answer', sdp: `v=0 answer ${name}` },
      });
      const answer = await bob.next();
      assert.equal(answer['offer_id'], offer.offer_id);
      assert.equal(answer['peer_id'], wireId(`alice-${name}`));
    }
    for (const node of [a, b]) {
      const cluster = node.stats().cluster;
      assert.equal(cluster?.redisLinkState, 'up');
      assert.equal(cluster.relayedIn, 3, 'three offers into a, three answers into b');
      assert.equal(cluster.redisErrors, 0);
    }
  });
});
