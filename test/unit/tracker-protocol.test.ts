import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TrackerCore } from '../../tracker/core.ts';
import { MAX_MESSAGE_BYTES, parseRequest } from '../../tracker/protocol.ts';
import { seededRandom } from '../../bench/seeded-random.ts';
import { FakeConnection, offer, wireId } from '../helpers/fake-connection.ts';

const HASH = wireId('swarm');

describe('tracker protocol parsing', () => {
  it('accepts an announce with offers, as bittorrent-tracker sends it', () => {
    const result = parseRequest(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('p'), numwant: 5, uploaded: 0, downloaded: 0, left: 1, event: 'started', offers: [offer(1)] }), 10);
    assert.deepEqual(result, {
      ok: true,
      request: { action: 'announce', infoHash: HASH, peerId: wireId('p'), event: 'started', numwant: 5, left: 1, offers: [{ offerId: wireId('offer1'), offer: { type: 'offer', sdp: 'v=0 offer 1' } }] },
    });
  });

  it('accepts 20-character binary (latin-1) ids', () => {
    const binary = String.fromCharCode(...Array.from({ length: 20 }, (_, i) => 200 + i));
    assert.equal(parseRequest(JSON.stringify({ action: 'announce', info_hash: binary, peer_id: binary }), 10).ok, true);
  });

  it('accepts an answer and a scrape', () => {
    const answer = parseRequest(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('b'), to_peer_id: wireId('a'), offer_id: wireId('o'), answer: { type: 'answer', sdp: 'x' } }), 10);
    assert.equal(answer.ok && answer.request.action, 'answer');
    const scrape = parseRequest(JSON.stringify({ action: 'scrape', info_hash: HASH }), 10);
    assert.deepEqual(scrape, { ok: true, request: { action: 'scrape', infoHashes: [HASH] } });
  });

  it('rejects each kind of malformed message with a reason', () => {
    const base = { action: 'announce', info_hash: HASH, peer_id: wireId('p') };
    const cases: [string, unknown][] = [
      ['not JSON', '{'],
      ['array', []],
      ['unknown action', { ...base, action: 'hello' }],
      ['short info_hash', { ...base, info_hash: 'abc' }],
      ['numeric peer_id', { ...base, peer_id: 12345678901234567890 }],
      ['bad event', { ...base, event: 'paused' }],
      ['negative numwant', { ...base, numwant: -1 }],
      ['offers not array', { ...base, offers: {} }],
      ['too many offers', { ...base, offers: Array.from({ length: 11 }, (_, i) => offer(i)) }],
      ['offer without sdp', { ...base, offers: [{ offer_id: wireId('o'), offer: { type: 'offer' } }] }],
      ['answer of wrong type', { ...base, to_peer_id: wireId('a'), offer_id: wireId('o'), answer: { type: 'offer', sdp: 'x' } }],
      ['answer without to_peer_id', { ...base, offer_id: wireId('o'), answer: { type: 'answer', sdp: 'x' } }],
      ['scrape with bad hash', { action: 'scrape', info_hash: ['x'] }],
    ];
    for (const [name, value] of cases) {
      const result = parseRequest(typeof value === 'string' ? value : JSON.stringify(value), 10);
      assert.equal(result.ok, false, name);
      assert.ok(!result.ok && result.reason.length > 0, name);
    }
    assert.equal(parseRequest('x'.repeat(MAX_MESSAGE_BYTES + 1), 10).ok, false);
  });
});

describe('tracker core under generated input', () => {
  const id = fc.oneof(fc.constantFrom(...['a', 'b', 'c', 'd'].map(wireId)), fc.string({ maxLength: 22 }));
  const nearValid = fc.record(
    {
      action: fc.constantFrom('announce', 'scrape', 'bogus', 7),
      info_hash: fc.oneof(fc.constant(HASH), id, fc.array(id, { maxLength: 3 })),
      peer_id: id,
      to_peer_id: id,
      offer_id: id,
      numwant: fc.oneof(fc.integer({ min: -2, max: 20 }), fc.constant('5')),
      left: fc.oneof(fc.constant(0), fc.constant(1), fc.constant(null), fc.string()),
      event: fc.constantFrom('started', 'stopped', 'completed', undefined, 'x'),
      offers: fc.oneof(fc.array(fc.oneof(fc.constant(offer(1)), fc.anything()), { maxLength: 4 }), fc.anything()),
      answer: fc.oneof(fc.constant({ type: 'answer', sdp: 'x' }), fc.anything()),
    },
    { requiredKeys: ['action'] },
  );
  const frame = fc.oneof(nearValid.map((m) => JSON.stringify(m)), fc.json(), fc.string({ maxLength: 64 }));

  it('never throws and never leaks peers or swarms over 10^4 generated frames', () => {
    let frames = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3), frame), { minLength: 15, maxLength: 40 }), (steps) => {
        const core = new TrackerCore({ announceIntervalSeconds: 120, peerTimeoutMs: 300_000, maxOffersPerAnnounce: 10, nowMs: () => 0, random: seededRandom(9) });
        const connections = [0, 1, 2, 3].map(() => new FakeConnection());
        for (const [who, text] of steps) {
          core.handle(text, connections[who] as FakeConnection);
          frames += 1;
        }
        for (const connection of connections) core.disconnect(connection);
        const stats = core.stats();
        assert.equal(stats.peers, 0);
        assert.equal(stats.swarms, 0);
        assert.equal(stats.connections, 0);
      }),
      { numRuns: 800, seed: 2026 },
    );
    assert.ok(frames >= 10_000, `only ${frames} frames generated`);
  });
});
