import assert from 'node:assert/strict';
import { seededRandom } from '../../bench/seeded-random.ts';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';
import { TrackerCore, type TrackerCoreOptions } from '../../tracker/core.ts';
import { FakeConnection, offer, wireId } from '../helpers/fake-connection.ts';

const HASH = wireId('swarm-a');
const TIMEOUT_MS = DEFAULT_TRACKER_CONFIG.peerTimeoutMs;

function makeCore(clock = { nowMs: 0 }, overrides: Partial<TrackerCoreOptions> = {}): TrackerCore {
  return new TrackerCore({
    ...DEFAULT_TRACKER_CONFIG,
    nowMs: () => clock.nowMs,
    random: seededRandom(3),
    ...overrides,
  });
}

function announce(
  core: TrackerCore,
  connection: FakeConnection,
  peer: string,
  extra: Record<string, unknown> = {},
  infoHash = HASH,
): void {
  core.handle(
    JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: wireId(peer), numwant: 5, ...extra }),
    connection,
  );
}

function answer(from: string, to: string, offerId = wireId('offer1')) {
  return {
    action: 'announce',
    info_hash: HASH,
    peer_id: wireId(from),
    to_peer_id: wireId(to),
    offer_id: offerId,
    answer: { type: 'answer', sdp: 'v=0 answer' },
  };
}

/** `count` peers, each on its own connection, with their replies cleared. */
function joinPeers(core: TrackerCore, count: number): FakeConnection[] {
  return Array.from({ length: count }, (_, i) => {
    const connection = new FakeConnection();
    announce(core, connection, `peer${i}`);
    connection.take();
    return connection;
  });
}

describe('tracker core', () => {
  it('answers an announce with the interval in seconds and the swarm counts', () => {
    const core = makeCore();
    const a = new FakeConnection();
    announce(core, a, 'a', { event: 'started' });
    assert.deepEqual(a.take(), [{ action: 'announce', interval: 120, info_hash: HASH, complete: 0, incomplete: 1 }]);
    const b = new FakeConnection();
    announce(core, b, 'b', { left: 0 });
    assert.deepEqual(b.take(), [{ action: 'announce', interval: 120, info_hash: HASH, complete: 1, incomplete: 1 }]);
    assert.equal(core.stats().peers, 2);
    assert.deepEqual(core.stats().topSwarms, [{ infoHash: HASH, peers: 2, seeders: 1 }]);
  });

  it('routes each offer to a distinct other peer, never back to the sender', () => {
    const core = makeCore();
    const others = joinPeers(core, 4);
    const a = new FakeConnection();
    announce(core, a, 'a', { offers: [offer(1), offer(2), offer(3)] });
    assert.equal(a.take().length, 1, 'the sender gets only its reply');
    assert.deepEqual(others.map((c) => c.sent.length).sort(), [0, 1, 1, 1], 'three of four peers got one offer each');
    const received = others.flatMap((c) => c.take());
    assert.equal(new Set(received.map((m) => m['offer_id'])).size, 3);
    for (const message of received) {
      assert.deepEqual(Object.keys(message).sort(), ['action', 'info_hash', 'offer', 'offer_id', 'peer_id']);
      assert.equal(message['action'], 'announce');
      assert.equal(message['peer_id'], wireId('a'));
      assert.equal(message['info_hash'], HASH);
    }
    assert.equal(core.stats().offersRelayed, 3);
  });

  it('picks offer targets in a large swarm with O(k) random draws, distinct and never the sender', () => {
    let draws = 0;
    const random = seededRandom(11);
    const core = makeCore({ nowMs: 0 }, { random: () => (draws++, random()) });
    const connections = joinPeers(core, 2000);
    draws = 0;
    for (let round = 0; round < 200; round++) {
      const sender = round % connections.length;
      announce(core, connections[sender] as FakeConnection, `peer${sender}`, { offers: [1, 2, 3, 4, 5].map(offer) });
      const receivers = connections.flatMap((c, i) => (c.take().some((m) => m['offer'] !== undefined) ? [i] : []));
      assert.equal(receivers.length, 5, 'five distinct receivers');
      assert.ok(!receivers.includes(sender));
    }
    assert.equal(draws, 200 * 5, 'one random draw per offer, whatever the swarm size');
  });

  it('sends no more offers than numwant or than there are other peers, and none to a lone peer', () => {
    const core = makeCore();
    const a = new FakeConnection();
    announce(core, a, 'a', { offers: [offer(1), offer(2)] });
    assert.equal(core.stats().offersRelayed, 0);
    const b = new FakeConnection();
    announce(core, b, 'b', { offers: [offer(3), offer(4), offer(5)] });
    assert.equal(a.take().filter((m) => m['offer'] !== undefined).length, 1);
    assert.equal(core.stats().offersRelayed, 1);
    joinPeers(core, 5);
    announce(core, b, 'b', { numwant: 2, offers: [offer(3), offer(4), offer(5)] });
    assert.equal(core.stats().offersRelayed, 3);
  });

  it('relays an answer to the offering peer and only between members', () => {
    const core = makeCore();
    const a = new FakeConnection();
    const b = new FakeConnection();
    announce(core, b, 'b');
    announce(core, a, 'a', { offers: [offer(1)] });
    a.take();
    b.take();
    core.handle(JSON.stringify(answer('b', 'a')), b);
    assert.deepEqual(a.take(), [
      {
        action: 'announce',
        answer: { type: 'answer', sdp: 'v=0 answer' },
        offer_id: wireId('offer1'),
        peer_id: wireId('b'),
        info_hash: HASH,
      },
    ]);
    assert.deepEqual(b.take(), [], 'no reply to the answerer');
    assert.equal(core.stats().answersRelayed, 1);
  });

  it('counts an answer it cannot deliver and carries on', () => {
    const core = makeCore();
    const a = new FakeConnection();
    const b = new FakeConnection();
    announce(core, a, 'a');
    announce(core, b, 'b');
    a.take();
    core.handle(JSON.stringify(answer('b', 'nobody')), b);
    core.handle(JSON.stringify(answer('b', 'b')), b);
    core.handle(JSON.stringify(answer('b', 'a')), new FakeConnection()); // someone else's peer id
    core.handle(JSON.stringify(answer('stranger', 'a')), new FakeConnection());
    core.handle(JSON.stringify({ ...answer('b', 'a'), info_hash: wireId('no-such-swarm') }), b);
    assert.deepEqual(a.sent, []);
    assert.equal(core.stats().answersUndeliverable, 5);
    assert.equal(core.stats().answersRelayed, 0);
    assert.equal(core.stats().peers, 2);
  });

  it('removes a peer on "stopped", replies with the new counts and deletes the empty swarm', () => {
    const core = makeCore();
    const a = new FakeConnection();
    announce(core, a, 'a');
    a.take();
    announce(core, a, 'a', { event: 'stopped' });
    assert.deepEqual(a.take(), [{ action: 'announce', interval: 120, info_hash: HASH, complete: 0, incomplete: 0 }]);
    assert.deepEqual([core.stats().peers, core.stats().swarms, core.stats().connections], [0, 0, 0]);
    assert.equal(core.stats().announcesStopped, 1);
  });

  it('ignores "stopped" for a peer id held by another connection', () => {
    const core = makeCore();
    announce(core, new FakeConnection(), 'a');
    announce(core, new FakeConnection(), 'a', { event: 'stopped' });
    assert.equal(core.stats().peers, 1);
  });

  it('removes a disconnected connection from every swarm it joined and deletes empty swarms', () => {
    const core = makeCore();
    const a = new FakeConnection();
    const b = new FakeConnection();
    announce(core, a, 'a', {}, wireId('one'));
    announce(core, a, 'a', {}, wireId('two'));
    announce(core, b, 'b', {}, wireId('two'));
    core.disconnect(a);
    assert.deepEqual(core.stats().topSwarms, [{ infoHash: wireId('two'), peers: 1, seeders: 0 }]);
    core.disconnect(b);
    core.disconnect(b);
    assert.deepEqual([core.stats().peers, core.stats().swarms, core.stats().connections], [0, 0, 0]);
  });

  it('introduces two peer ids that share one connection, and removes both when it closes', () => {
    // bittorrent-tracker's client pools one WebSocket per tracker URL across clients.
    const core = makeCore();
    const shared = new FakeConnection();
    announce(core, shared, 'first');
    announce(core, shared, 'second', { offers: [offer(1)] });
    const relayed = shared.take().filter((m) => m['offer'] !== undefined);
    assert.equal(relayed.length, 1);
    assert.equal(relayed[0]?.['peer_id'], wireId('second'));
    core.handle(JSON.stringify(answer('first', 'second')), shared);
    assert.equal(core.stats().answersRelayed, 1);
    assert.equal(core.stats().peers, 2);
    core.disconnect(shared);
    assert.deepEqual([core.stats().peers, core.stats().swarms, core.stats().connections], [0, 0, 0]);
  });

  it('refuses more peer ids per connection than maxPeersPerConnection', () => {
    const core = makeCore({ nowMs: 0 }, { maxPeersPerConnection: 2 });
    const a = new FakeConnection();
    announce(core, a, 'a', {}, wireId('one'));
    announce(core, a, 'a', {}, wireId('two'));
    a.take();
    announce(core, a, 'b', {}, wireId('two'));
    announce(core, a, 'a', {}, wireId('one'));
    const [refusal, reannounce] = a.take();
    assert.match(String(refusal?.['failure reason']), /at most 2 peers per connection/);
    assert.equal(refusal?.['info_hash'], wireId('two'));
    assert.equal(reannounce?.['complete'], 0, 'a peer it already holds may still announce');
    assert.equal(core.stats().peers, 2);
    assert.equal(core.stats().rejectedMessages, 1);
  });

  it('expires peers that stopped announcing, by the injected clock, and keeps those that announce', () => {
    const clock = { nowMs: 0 };
    const core = makeCore(clock);
    const a = new FakeConnection();
    const b = new FakeConnection();
    announce(core, a, 'a');
    announce(core, b, 'b');
    clock.nowMs = 200_000;
    announce(core, b, 'b');
    clock.nowMs = TIMEOUT_MS;
    assert.equal(core.sweep(), 0, 'exactly peerTimeoutMs old is not yet expired');
    clock.nowMs = TIMEOUT_MS + 1;
    assert.equal(core.sweep(), 1);
    assert.deepEqual(core.stats().topSwarms, [{ infoHash: HASH, peers: 1, seeders: 0 }]);
    assert.equal(core.stats().expiredPeers, 1);
    assert.equal(core.stats().connections, 1, 'the expired peer no longer belongs to its connection');
    clock.nowMs = 200_000 + TIMEOUT_MS + 1;
    assert.equal(core.sweep(), 1);
    assert.deepEqual([core.stats().peers, core.stats().swarms, core.stats().connections], [0, 0, 0]);
    core.disconnect(a);
    core.disconnect(b);
    assert.equal(core.stats().peers, 0);
  });

  it('counts seeders and leechers from left and "completed", and downloads from "completed"', () => {
    const core = makeCore();
    const a = new FakeConnection();
    const b = new FakeConnection();
    const counts = () => {
      const [swarm] = core.stats().topSwarms;
      return [swarm?.seeders, (swarm?.peers ?? 0) - (swarm?.seeders ?? 0)];
    };
    announce(core, a, 'a', { event: 'started' });
    announce(core, b, 'b', { event: 'started', left: 0 });
    assert.deepEqual(counts(), [1, 1]);
    announce(core, a, 'a', { event: 'completed' });
    assert.deepEqual(counts(), [2, 0]);
    announce(core, a, 'a', {});
    assert.deepEqual(counts(), [2, 0], 'an announce without left keeps the state');
    announce(core, a, 'a', { event: 'completed' });
    announce(core, a, 'a', { left: 5 });
    assert.deepEqual(counts(), [1, 1], 'left > 0 makes a leecher again (a live stream never completes)');
    const stats = core.stats();
    assert.deepEqual([stats.announces, stats.announcesStarted, stats.announcesCompleted], [6, 2, 2]);
    const asker = new FakeConnection();
    core.handle(JSON.stringify({ action: 'scrape', info_hash: HASH }), asker);
    assert.deepEqual(
      (asker.take()[0]?.['files'] as Record<string, unknown>)[HASH],
      { complete: 1, incomplete: 1, downloaded: 1 },
      'a repeated "completed" counts once',
    );
  });

  it('answers malformed messages with a failure reason and counts them', () => {
    const core = makeCore();
    const a = new FakeConnection();
    core.handle('{not json', a);
    core.handle(JSON.stringify({ action: 'announce', info_hash: 'short', peer_id: wireId('a') }), a);
    core.handle(
      JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('a'), offers: [{ offer_id: 'x' }] }),
      a,
    );
    core.handle(JSON.stringify({ action: 'connect' }), a);
    const replies = a.take();
    assert.equal(replies.length, 4);
    for (const reply of replies) {
      assert.equal(typeof reply['failure reason'], 'string');
      assert.equal(reply['action'], 'announce', 'the client treats any other action as a broken socket');
    }
    assert.equal(replies[2]?.['info_hash'], HASH, 'the client matches failures by info_hash');
    assert.equal(core.stats().rejectedMessages, 4);
    assert.equal(core.stats().peers, 0);
  });

  it('answers a scrape with per-swarm counts keyed by the hashes as sent', () => {
    const core = makeCore();
    announce(core, new FakeConnection(), 'a', { left: 0 });
    announce(core, new FakeConnection(), 'b');
    const asker = new FakeConnection();
    core.handle(JSON.stringify({ action: 'scrape', info_hash: [HASH, wireId('unknown')] }), asker);
    assert.deepEqual(asker.take(), [
      {
        action: 'scrape',
        files: {
          [HASH]: { complete: 1, incomplete: 1, downloaded: 0 },
          [wireId('unknown')]: { complete: 0, incomplete: 0, downloaded: 0 },
        },
        flags: { min_request_interval: 120 },
      },
    ]);
    assert.equal(core.stats().scrapes, 1);
  });

  it('lists the ten largest swarms, largest first', () => {
    const core = makeCore();
    for (let swarm = 0; swarm < 15; swarm++) {
      for (let peer = 0; peer < ((swarm * 7) % 15) + 1; peer++)
        announce(core, new FakeConnection(), `p${peer}`, {}, wireId(`s${swarm}`));
    }
    const sizes = core.stats().topSwarms.map((swarm) => swarm.peers);
    assert.deepEqual(sizes, [15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
    assert.equal(core.stats().swarms, 15);
  });

  it('lists every local peer once for a re-add, while announces reorder the swarm and peers leave meanwhile', () => {
    const core = makeCore();
    const connections = joinPeers(core, 40);
    const listed: string[] = [];
    // The cluster re-adds peers one Redis round trip at a time: the swarm goes on meanwhile.
    let turn = 0;
    for (const peer of core.localPeers()) {
      listed.push(peer.peerId);
      turn += 1;
      announce(core, connections[turn % 30] as FakeConnection, `peer${turn % 30}`, {
        offers: [1, 2, 3, 4, 5].map(offer),
      });
      if (turn === 5) core.disconnect(connections[35] as FakeConnection);
    }
    const expected = Array.from({ length: 40 }, (_, i) => wireId(`peer${i}`)).filter((id) => id !== wireId('peer35'));
    assert.deepEqual([...listed].filter((id) => id !== wireId('peer35')).sort(), expected.sort());
    assert.equal(new Set(listed).size, listed.length, 'none twice');
  });
});
