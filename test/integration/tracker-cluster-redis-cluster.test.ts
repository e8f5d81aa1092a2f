import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { swarmKeys, swarmKey } from '../../tracker/cluster/redis-scripts.ts';
import { CLUSTER_TEST_SETTINGS, clusterPeer, recordingLogger } from '../helpers/cluster-peer.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { jsonInbox } from '../helpers/json-inbox.ts';
import { RedisClusterGroup } from '../helpers/redis-cluster.ts';
import { guarded } from '../helpers/wait-for.ts';

const SETTINGS = CLUSTER_TEST_SETTINGS;

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
    // A third node with no peer of these swarms counts them from each swarm's slot for a scrape.
    const c = await startTracker({ ...SETTINGS, redisClusterNodes: redisCluster.nodes });
    trackers.push(c);
    const scraper = new WebSocket(c.url, { perMessageDeflate: false });
    sockets.push(scraper);
    const inbox = jsonInbox(scraper);
    await once(scraper, 'open');
    const hashes = ['swarm-one', 'swarm-two', 'swarm-three'].map(wireId);
    scraper.send(JSON.stringify({ action: 'scrape', info_hash: hashes }));
    const counted = Object.fromEntries(hashes.map((hash) => [hash, { complete: 0, incomplete: 2, downloaded: 0 }]));
    assert.deepEqual((await inbox())['files'], counted);
    assert.equal(c.stats().cluster?.redisErrors, 0);
    for (const node of [a, b]) {
      const cluster = node.stats().cluster;
      assert.equal(cluster?.redisLinkState, 'up');
      assert.equal(cluster.relayedIn, 3, 'three offers into a, three answers into b');
      assert.equal(cluster.redisErrors, 0);
    }
  });

  it("when the master holding a swarm's slot dies and its replica takes over, each node serves its own peers meanwhile, then adds them back and peers on different nodes reach each other again", async () => {
    // A master is called failed after 1 s of silence: the replica's promotion takes seconds.
    const redisCluster = await RedisClusterGroup.start({ nodeTimeoutMs: 1000 });
    group = redisCluster;
    const hash = wireId('failover-swarm');
    const [peersKey] = swarmKeys(swarmKey(hash));
    const replica = await redisCluster.addReplica(peersKey);
    const logs = [recordingLogger(), recordingLogger()];
    const [a, b] = await Promise.all(
      logs.map((log) =>
        startTracker(
          { ...SETTINGS, logLevel: 'info', redisCommandTimeoutMs: 300, redisClusterNodes: redisCluster.nodes },
          { logger: log.logger },
        ),
      ),
    );
    assert.ok(a !== undefined && b !== undefined);
    trackers.push(a, b);
    const alice = await clusterPeer(a, 'alice', hash, sockets);
    const bob = await clusterPeer(b, 'bob', hash, sockets);
    alice.announce();
    await alice.next();
    await bob.announceUntilCount(2);

    const promoted = redisCluster.promoted(replica);
    await redisCluster.killMasterOf(peersKey);
    await Promise.all(logs.map((log) => log.next('redis connection lost; serving local peers only')));
    // Node a serves on from memory: a new peer gets its reply and its offer reaches alice.
    const carol = await clusterPeer(a, 'carol', hash, sockets);
    const local = { offer_id: wireId('offer-during'), offer: { type: 'offer', sdp: 'v=0 during the failover' } };
    carol.announce({ offers: [local] });
    assert.equal((await carol.next())['info_hash'], hash);
    assert.equal((await alice.next())['offer_id'], local.offer_id);

    await promoted;
    await Promise.all(logs.map((log) => log.next('redis connection back; adding local peers again')));
    const readded = await Promise.all(logs.map((log) => log.next('local peers added to redis again')));
    assert.deepEqual(
      readded.map((fields) => fields['peers']),
      [2, 1],
      'node a re-added alice and carol, node b bob',
    );
    // alice, carol (node a) and bob (node b) are in the promoted replica's swarm without announcing.
    await bob.announceUntilCount(3);
    const crossing = { offer_id: wireId('offer-after'), offer: { type: 'offer', sdp: 'v=0 after the failover' } };
    bob.announce({ offers: [crossing], numwant: 1 });
    await bob.next();
    const [name, received] = await guarded(
      Promise.race(
        (
          [
            ['alice', alice],
            ['carol', carol],
          ] as const
        ).map(async ([who, peer]) => [who, await peer.inbox()] as const),
      ),
      "bob's offer relayed to alice or carol",
      30_000,
    );
    assert.equal(received['offer_id'], crossing.offer_id);
    const answering = name === 'alice' ? alice : carol;
    answering.announce({
      to_peer_id: wireId('bob'),
      offer_id: crossing.offer_id,
      answer: { type: 'answer', sdp: 'v=0 answer after the failover' },
    });
    const answer = await bob.next();
    assert.equal(answer['offer_id'], crossing.offer_id);
    assert.equal(answer['peer_id'], wireId(name));
  });
});
