import assert from 'node:assert/strict';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { WebSocket } from 'ws';
import { swarmKey } from '../../tracker/cluster/redis-scripts.ts';
import { startTracker, type RunningTracker, type TrackerDependencies } from '../../tracker/server.ts';
import { CLUSTER_TEST_SETTINGS, clusterPeer, recordingLogger } from '../helpers/cluster-peer.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { jsonInbox } from '../helpers/json-inbox.ts';
import { pollExternal } from '../helpers/poll-external.ts';
import { redisLines } from '../helpers/redis-cli.ts';
import { RedisServer } from '../helpers/redis-server.ts';

const HASH = wireId('consistent-swarm');
type Msg = Record<string, unknown>;
// What a node wrote to Redis has no event in this process: such state is re-read (pollExternal),
// at most 600 reads 50 ms apart, a liveness guard.
const REDIS_READS = { intervalMs: 50, attempts: 600 };

describe('tracker cluster: who holds a peer id, and what Redis keeps, stay consistent across nodes', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  const trackers: RunningTracker[] = [];
  const sockets: WebSocket[] = [];

  const node = async (dependencies: TrackerDependencies = {}): Promise<RunningTracker> => {
    const tracker = await startTracker({ ...CLUSTER_TEST_SETTINGS, redisUrl: redis.url }, dependencies);
    trackers.push(tracker);
    return tracker;
  };
  const peer = (tracker: RunningTracker, name: string, infoHash = HASH) =>
    clusterPeer(tracker, name, infoHash, sockets);
  const nodeIdOf = (tracker: RunningTracker): string => tracker.stats().cluster?.nodeId ?? '';
  /** The node Redis maps a peer to in the swarm (none: []). */
  const holderOf = (name: string, infoHash = HASH): Promise<string[]> =>
    redisLines(redis.url, ['HGET', `pc:{${swarmKey(infoHash)}}:nodes`, wireId(name)]);
  const untilHeldBy = (name: string, tracker: RunningTracker): Promise<string[]> =>
    pollExternal(
      `${name} held by ${nodeIdOf(tracker)} in Redis`,
      () => holderOf(name),
      (held) => held[0] === nodeIdOf(tracker),
      REDIS_READS,
    );

  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
  });

  it("refuses a peer id held on another node with the single-node error; offers to it reach its holder, and the refused one's leave takes nothing out", async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    const victim = await peer(a, 'victim');
    victim.announce({ numwant: 0 });
    await victim.next();
    await untilHeldBy('victim', a);
    // On one node: a second connection announcing the id is refused.
    const copycatOnA = await peer(a, 'victim');
    copycatOnA.announce({ numwant: 0 });
    const refusedOnA = await copycatOnA.next();
    assert.equal(refusedOnA['failure reason'], 'peer_id is in use by another connection');
    // On another node: served from memory first (the core never waits on Redis), then refused the
    // same way once the announce script found the id held on node a.
    const attacker = await peer(b, 'victim');
    attacker.announce({ numwant: 0 });
    await attacker.next();
    assert.deepEqual(await attacker.next(), refusedOnA);
    assert.equal(b.stats().peers, 0);
    assert.equal(b.stats().rejectedByReason['peer-id-taken'], 1);
    // A viewer on node c: its one offer goes to the victim on node a.
    const viewer = await peer(c, 'viewer');
    await viewer.announceUntilCount(2);
    const offer = { offer_id: wireId('offer-to-victim'), offer: { type: 'offer', sdp: 'v=0 viewer' } };
    viewer.announce({ numwant: 1, offers: [offer] });
    await viewer.next();
    const relayed = await victim.next();
    assert.deepEqual([relayed['offer_id'], relayed['peer_id']], [offer.offer_id, wireId('viewer')]);
    // Node b's leave of its refused peer, and its goodbye (which reaps its peers), were sent on its
    // one command connection before close() resolves: the victim is still node a's.
    await b.close();
    assert.deepEqual(await holderOf('victim'), [nodeIdOf(a)]);
    assert.equal((await redisLines(redis.url, ['ZSCORE', `pc:{${swarmKey(HASH)}}:peers`, wireId('victim')])).length, 1);
  });

  it("never hands a peer an offer from its own peer id: a copycat of the id on another node sends its first offers to earlier picks, one of them the id's holder", async () => {
    // One wall clock at 1/100 speed for both nodes, so that the kept pick is still young (remote-picks.ts).
    const startMs = Date.now();
    const nowUnixMs = (): number => startMs + (Date.now() - startMs) / 100;
    const [a, b] = [await node({ nowUnixMs }), await node({ nowUnixMs })];
    const onA = [await peer(a, 'alice'), await peer(a, 'dave')];
    for (const one of onA) {
      one.announce();
      await one.next();
    }
    const bob = await peer(b, 'bob');
    await bob.announceUntilCount(3);
    const offer = (n: number) => ({ offer_id: wireId(`pick-${n}`), offer: { type: 'offer', sdp: `v=0 ${n}` } });
    // Bob's script picks both peers on node a: one takes his offer, node b keeps the other.
    const arrivals = onA.map((one) => one.next());
    bob.announce({ numwant: 1, offers: [offer(1)] });
    await bob.next();
    const taker = await Promise.race(arrivals.map((arrival, index) => arrival.then(() => index)));
    const kept = onA[1 - taker] as (typeof onA)[number];
    const keptName = taker === 0 ? 'dave' : 'alice';
    const relayedOut = b.stats().cluster?.relayedOut ?? 0;
    // A copycat on node b announces the kept peer's id. Before, its offers for other nodes left in
    // this turn to the kept pick, the kept peer itself (node-delivery.ts still drops an offer to a
    // peer of its sender's id); now a peer new on node b waits for its script, which refuses it.
    const copycat = await peer(b, keptName);
    copycat.announce({ numwant: 3, offers: [2, 3, 4].map(offer) });
    await copycat.next();
    assert.equal((await copycat.next())['failure reason'], 'peer_id is in use by another connection');
    assert.equal(b.stats().cluster?.relayedOut, relayedOut, "node b sent the copycat's offers away");
    // Frames to one socket keep their order: an offer delivered to the kept peer comes before this reply
    // (its next message since the race above).
    kept.announce();
    const first = await (arrivals[1 - taker] as Promise<Record<string, unknown>>);
    assert.equal(first['offer'], undefined, `the kept peer was sent ${JSON.stringify(first)}`);
  });

  it("routes the answers to a peer's offers to that peer's node, whatever a copycat of its id on another node sent meanwhile", async () => {
    // One wall clock at 1/100 speed for every node, so that the kept pick is still young (remote-picks.ts).
    const startMs = Date.now();
    const nowUnixMs = (): number => startMs + (Date.now() - startMs) / 100;
    const [a, b, c] = [await node({ nowUnixMs }), await node({ nowUnixMs }), await node({ nowUnixMs })];
    const offer = (name: string) => ({ offer_id: wireId(name), offer: { type: 'offer', sdp: `v=0 ${name}` } });
    const onC = [await peer(c, 'paul'), await peer(c, 'quinn')];
    for (const one of onC) {
      one.announce({ numwant: 0 });
      await one.next();
    }
    const bob = await peer(b, 'bob');
    await bob.announceUntilCount(3);
    // Bob's script picks both peers on node c: one takes his offer, node b keeps the other.
    const fromBob = onC.map((one) => one.next());
    bob.announce({ numwant: 1, offers: [offer('bob')] });
    await bob.next();
    const taker = await Promise.race(fromBob.map((arrival, index) => arrival.then(() => index)));
    const nextOnC = onC.map((one, index) => (index === taker ? one.next() : (fromBob[index] as Promise<Msg>)));
    // The victim on node a offers to all three (its script picks every peer elsewhere).
    const victim = await peer(a, 'victim');
    await victim.announceUntilCount(4);
    victim.announce({ numwant: 3, offers: ['v1', 'v2', 'v3'].map(offer) });
    await victim.next();
    const victimOffers = await Promise.all(nextOnC);
    assert.deepEqual(
      victimOffers.map((message) => message['peer_id']),
      [wireId('victim'), wireId('victim')],
    );
    // A copycat of the victim's id on node b. Its offers for other nodes left at once, one to the
    // kept pick on c, whose delivery re-pointed the answer route before routes were per offer; now
    // a peer new on node b waits for its script, which refuses it, and nothing leaves node b.
    const relayedOutB = b.stats().cluster?.relayedOut ?? 0;
    const copycat = await peer(b, 'victim');
    copycat.announce({ numwant: 2, offers: [offer('copy1'), offer('copy2')] });
    await copycat.next();
    assert.equal((await copycat.next())['failure reason'], 'peer_id is in use by another connection');
    assert.equal(b.stats().cluster?.relayedOut, relayedOutB, "node b sent the copycat's offers away");
    // The taker answers the victim's real offer.
    const [relayedInA, undeliverableB] = [a.stats().cluster?.relayedIn ?? 0, b.stats().cluster?.undeliverable ?? 0];
    (onC[taker] as (typeof onC)[number]).announce({
      to_peer_id: wireId('victim'),
      offer_id: (victimOffers[taker] as Msg)['offer_id'],
      answer: { type: 'answer', sdp: 'v=0 answer' },
    });
    await pollExternal(
      'the answer to reach node a or node b',
      () => [a.stats().cluster?.relayedIn ?? 0, b.stats().cluster?.undeliverable ?? 0],
      ([inA = 0, lostB = 0]) => inA > relayedInA || lostB > undeliverableB,
      REDIS_READS,
    );
    assert.equal(b.stats().cluster?.undeliverable, undeliverableB, "the answer went to the copycat's node");
    const answer = await victim.next();
    assert.deepEqual(
      [answer['peer_id'], answer['offer_id']],
      [wireId(taker === 0 ? 'paul' : 'quinn'), (victimOffers[taker] as Msg)['offer_id']],
    );
  });

  it("delivers no offer of a copycat of a peer id held on another node to a peer on the copycat's node: the copycat's offers wait for its announce script, which refuses it", async () => {
    const [a, b] = [await node(), await node()];
    const victim = await peer(a, 'victim');
    victim.announce({ numwant: 0 });
    await victim.next();
    await untilHeldBy('victim', a);
    const bystander = await peer(b, 'bystander');
    bystander.announce({ numwant: 0 });
    await bystander.next();
    // The copycat copied the victim's id (it travels in every relayed offer); the bystander is the
    // only other peer on node b, so at least one of three offers is meant for it.
    const copycat = await peer(b, 'victim');
    const offers = [1, 2, 3].map((n) => ({ offer_id: wireId(`copy-${n}`), offer: { type: 'offer', sdp: `v=0 ${n}` } }));
    copycat.announce({ numwant: 3, offers });
    await copycat.next();
    assert.equal((await copycat.next())['failure reason'], 'peer_id is in use by another connection');
    // Frames to one socket keep their order: an offer delivered to the bystander comes before this reply.
    bystander.announce({ numwant: 0 });
    const next = await bystander.next();
    assert.equal(next['offer'], undefined, `the bystander was sent ${JSON.stringify(next)}`);
    assert.equal(b.stats().offersDroppedIdTaken, 3);
    // A peer new on node b whose id nobody holds: its offers are delivered once its script answered.
    const newcomer = await peer(b, 'newcomer');
    newcomer.announce({ numwant: 3, offers: [4, 5, 6].map((n) => ({ ...offers[0], offer_id: wireId(`new-${n}`) })) });
    await newcomer.next();
    const relayed = await bystander.next();
    assert.deepEqual([relayed['peer_id'], String(relayed['offer_id']).startsWith('new-')], [wireId('newcomer'), true]);
  });

  it("drops an answer from another node to an offer made before the current holder of the offerer's id joined", async () => {
    const [a, c] = [await node(), await node()];
    const paul = await peer(c, 'paul');
    paul.announce({ numwant: 0 });
    await paul.next();
    // The victim on node a offers to paul on node c, then disconnects.
    const victim = await peer(a, 'victim');
    await victim.announceUntilCount(2);
    const offer = { offer_id: wireId('offer-to-paul'), offer: { type: 'offer', sdp: 'v=0 victim' } };
    victim.announce({ numwant: 1, offers: [offer] });
    await victim.next();
    const relayed = await paul.next();
    assert.deepEqual([relayed['peer_id'], relayed['offer_id']], [wireId('victim'), offer.offer_id]);
    const victimSocket = sockets.at(-1) as WebSocket;
    victimSocket.terminate();
    await pollExternal(
      'node a to see the victim leave',
      () => a.stats().peers,
      (peers) => peers === 0,
      REDIS_READS,
    );
    // A newcomer on node a announces the victim's id (copied from the offer), and paul answers the offer.
    const copycat = await peer(a, 'victim');
    copycat.announce({ numwant: 0 });
    await copycat.next();
    const relayedIn = a.stats().cluster?.relayedIn ?? 0;
    paul.announce({
      to_peer_id: wireId('victim'),
      offer_id: offer.offer_id,
      answer: { type: 'answer', sdp: 'v=0 paul' },
    });
    await pollExternal(
      'node a to receive the answer',
      () => a.stats().cluster?.relayedIn ?? 0,
      (count) => count > relayedIn,
      REDIS_READS,
    );
    assert.equal(a.stats().answersUnrelayed, 1);
    // Frames to one socket keep their order: an answer delivered to the copycat comes before this reply.
    copycat.announce({ numwant: 0 });
    const next = await copycat.next();
    assert.equal(next['answer'], undefined, `the copycat was sent ${JSON.stringify(next)}`);
  });

  it('answers a scrape on a node with no peer of the swarm with the counts over every node', async () => {
    const [a, b] = [await node(), await node()];
    const seeder = await peer(a, 'seeder');
    seeder.announce({ numwant: 0, left: 0 });
    await seeder.next();
    const leecher = await peer(a, 'leecher');
    leecher.announce({ numwant: 0, left: 100 });
    await leecher.next();
    await untilHeldBy('seeder', a);
    await untilHeldBy('leecher', a);
    const socket = new WebSocket(b.url, { perMessageDeflate: false });
    sockets.push(socket);
    const inbox = jsonInbox(socket);
    await once(socket, 'open');
    const nobody = wireId('nobody-swarm');
    socket.send(JSON.stringify({ action: 'scrape', info_hash: [HASH, nobody] }));
    const reply = await inbox();
    assert.deepEqual(reply['files'], {
      [HASH]: { complete: 1, incomplete: 1, downloaded: 0 },
      [nobody]: { complete: 0, incomplete: 0, downloaded: 0 },
    });
  });

  it('names the node in /stats.json by a random id: neither its host name nor its process id', async () => {
    const a = await node();
    const stats = (await (await fetch(`${a.url.replace('ws://', 'http://')}/stats.json`)).json()) as {
      cluster: { nodeId: string };
    };
    const { nodeId } = stats.cluster;
    assert.match(nodeId, /^[0-9a-f]{16}$/);
    assert.ok(!nodeId.includes(hostname()), `${nodeId} holds the host name`);
  });

  it('a node reaped while still connected (its lease lapsed in a stall) finds its lease gone at its next renewal and adds its peers and swarm registrations again', async () => {
    const [logA, logB] = [recordingLogger(), recordingLogger()];
    // Node b's stall is modelled by its clock, the one mock allowed: while it runs behind, the
    // leases b renews are already over as node a reads them, as if b had not renewed at all.
    let behindMs = 0;
    await node({ logger: logA.logger });
    const b = await node({ logger: logB.logger, nowUnixMs: () => Date.now() - behindMs });
    const bob = await peer(b, 'bob');
    bob.announce({ numwant: 0 });
    await bob.next();
    await untilHeldBy('bob', b);
    behindMs = 60_000;
    const reaping = await logA.next('dead tracker node reaped');
    // The stall ends; b's link never went down, so only its renewal can tell it was reaped.
    behindMs = 0;
    assert.deepEqual([reaping['node'], reaping['peers']], [nodeIdOf(b), 1]);
    await logB.next('node lease lapsed: adding local peers again');
    assert.equal((await logB.next('local peers added to redis again'))['peers'], 1);
    assert.deepEqual(await holderOf('bob'), [nodeIdOf(b)]);
    assert.deepEqual(await redisLines(redis.url, ['SMEMBERS', `pc:node:${nodeIdOf(b)}:swarms`]), [swarmKey(HASH)]);
    // Registered again, b's peers are reaped again if it dies now.
    await b.close();
    assert.deepEqual(await holderOf('bob'), []);
  });

  it('keeps no cluster counts of a swarm whose last peer here left before Redis answered its announce', async () => {
    const a = await node();
    const viewer = await peer(a, 'viewer');
    // Announce and stop back to back in 50 swarms: the core leaves each swarm before the script's
    // reply arrives, which then must not count the swarm again (it was 4,964 of 5,000 swarms).
    const swarms = Array.from({ length: 50 }, (_, i) => wireId(`brief-swarm-${i}`));
    for (const infoHash of swarms) {
      viewer.announce({ info_hash: infoHash, numwant: 0 });
      viewer.announce({ info_hash: infoHash, numwant: 0, event: 'stopped' });
    }
    for (let i = 0; i < swarms.length * 2; i++) await viewer.next();
    assert.equal(a.stats().swarms, 0);
    // close() sends its goodbye on the command connection after every announce script: once it
    // resolves, every reply has been handled.
    await a.close();
    assert.deepEqual(a.stats().cluster?.topSwarms, []);
  });
});
