import assert from 'node:assert/strict';
import { TrackerCore } from '../../tracker/core.ts';
import { seededRandom } from '../../bench/seeded-random.ts';
import { FakeConnection, offer, wireId } from '../helpers/fake-connection.ts';

const HASH = wireId('swarm-a');

function makeCore(clock = { nowMs: 0 }) {
  return new TrackerCore({
    announceIntervalSeconds: 120,
    peerTimeoutMs: 300_000,
    maxOffersPerAnnounce: 10,
    nowMs: () => clock.nowMs,
    random: seededRandom(3),
  });
}

function announce(core: TrackerCore, connection: FakeConnection, peer: string, extra: Record<string, unknown> = {}, infoHash = HASH): void {
  core.handle(JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: wireId(peer), numwant: 5, left: 1, ...extra }), connection);
}

describe('tracker core', () => {
  it('answers an announce with the interval and swarm counts', () => {
    const core = makeCore();
    const a = new FakeConnection();
    announce(core, a, 'a', { event: 'started' });
    assert.deepEqual(a.take(), [{ action: 'announce', interval: 120, info_hash: HASH, complete: 0, incomplete: 1 }]);
    announce(core, new FakeConnection(), 'b', { left: 0 });
    assert.equal(core.stats().peers, 2);
    assert.deepEqual(core.stats().topSwarms, [{ infoHash: HASH, peers: 2, seeders: 1 }]);
  });

  it('routes each offer to a distinct other peer, never back to the sender', () => {
    const core = makeCore();
    const others = ['b', 'c', 'd', 'e'].map((name) => {
      const connection = new FakeConnection();
      announce(core, connection, name);
      connection.take();
      return connection;
    });
    const a = new FakeConnection();
    announce(core, a, 'a', { offers: [offer(1), offer(2), offer(3)] });
    assert.equal(a.take().length, 1, 'the sender gets only its reply');
    assert.deepEqual(others.map((c) => c.sent.length).sort(), [0, 1, 1, 1], 'three of four peers got one offer each');
    const received = others.flatMap((c) => c.take());
    assert.equal(received.length, 3);
    assert.deepEqual(new Set(received.map((m) => m['offer_id'])).size, 3);
    for (const message of received) {
      assert.equal(message['peer_id'], wireId('a'));
      assert.equal(message['info_hash'], HASH);
      assert.deepEqual(Object.keys(message['offer'] as object).sort(), ['sdp', 'type']);
    }
    assert.equal(core.stats().offersRelayed, 3);
  });

  it('sends no more offers than there are other peers, and none to a lone peer', () => {
    const core = makeCore();
    const a = new FakeConnection();
    announce(core, a, 'a', { offers: [offer(1), offer(2)] });
    const b = new FakeConnection();
    announce(core, b, 'b', { offers: [offer(3), offer(4), offer(5)] });
    assert.equal(a.take().filter((m) => m['offer'] !== undefined).length, 1);
    assert.equal(core.stats().offersRelayed, 1);
  });

  it('relays an answer to the offering peer and only between members', () => {
    const core = makeCore();
    const a = new FakeConnection();
    const b = new FakeConnection();
    announce(core, a, 'a');
    announce(core, b, 'b');
    a.take();
    const answer = { action: 'announce', info_hash: HASH, peer_id: wireId('b'), to_peer_id: wireId('a'), offer_id: wireId('offer1'), answer: { type: 'answer', sdp: 'v=0 answer' } };
    core.handle(JSON.stringify(answer), b);
    assert.deepEqual(a.take(), [{ action: 'announce', answer: answer.answer, offer_id: answer.offer_id, peer_id: wireId('b'), info_hash: HASH }]);
    core.handle(JSON.stringify({ ...answer, to_peer_id: wireId('nobody') }), b);
    const stranger = new FakeConnection();
    core.handle(JSON.stringify(answer), stranger);
    assert.equal(a.sent.length, 0);
    assert.equal(core.stats().answersRelayed, 1);
    assert.equal(core.stats().answersUndeliverable, 2);
  });

  it('removes a peer on "stopped" and deletes the empty swarm', () => {
    const core = makeCore();
    const a = new FakeConnection();
    announce(core, a, 'a');
    announce(core, a, 'a', { event: 'stopped' });
    assert.equal(core.stats().peers, 0);
    assert.equal(core.stats().swarms, 0);
    assert.equal(core.stats().connections, 0);
  });

  it('removes a disconnected connection from every swarm it joined', () => {
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
    assert.equal(core.stats().swarms, 0);
    assert.equal(core.stats().peers, 0);
  });

  it('keeps a peer id that reconnected on another socket with the new socket', () => {
    const core = makeCore();
    const first = new FakeConnection();
    const second = new FakeConnection();
    announce(core, first, 'a');
    announce(core, second, 'a');
    core.disconnect(first);
    assert.equal(core.stats().peers, 1);
    core.disconnect(second);
    assert.equal(core.stats().peers, 0);
  });

  it('expires peers that stopped announcing, by the injected clock', () => {
    const clock = { nowMs: 0 };
    const core = makeCore(clock);
    const a = new FakeConnection();
    const b = new FakeConnection();
    announce(core, a, 'a');
    clock.nowMs = 200_000;
    announce(core, b, 'b');
    clock.nowMs = 300_001;
    assert.equal(core.sweep(), 1);
    assert.deepEqual(core.stats().topSwarms, [{ infoHash: HASH, peers: 1, seeders: 0 }]);
    assert.equal(core.stats().expiredPeers, 1);
    clock.nowMs = 600_000;
    assert.equal(core.sweep(), 1);
    assert.equal(core.stats().swarms, 0);
    assert.equal(core.stats().connections, 0);
  });

  it('answers malformed messages with a failure reason and counts them', () => {
    const core = makeCore();
    const a = new FakeConnection();
    core.handle('{not json', a);
    core.handle(JSON.stringify({ action: 'announce', info_hash: 'short', peer_id: wireId('a') }), a);
    core.handle(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('a'), offers: [{ offer_id: 'x' }] }), a);
    const replies = a.take();
    assert.equal(replies.length, 3);
    for (const reply of replies) assert.equal(typeof reply['failure reason'], 'string');
    assert.equal(replies[2]?.['info_hash'], HASH, 'the client matches failures by info_hash');
    assert.equal(core.stats().rejectedMessages, 3);
    assert.equal(core.stats().peers, 0);
  });

  it('answers a scrape with per-swarm counts', () => {
    const core = makeCore();
    announce(core, new FakeConnection(), 'a', { left: 0 });
    const asker = new FakeConnection();
    core.handle(JSON.stringify({ action: 'scrape', info_hash: [HASH, wireId('unknown')] }), asker);
    assert.deepEqual(asker.take(), [
      { action: 'scrape', files: { [HASH]: { complete: 1, incomplete: 0, downloaded: 1 }, [wireId('unknown')]: { complete: 0, incomplete: 0, downloaded: 0 } } },
    ]);
  });
});
