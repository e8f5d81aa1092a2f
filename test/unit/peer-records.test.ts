import assert from 'node:assert/strict';
import { PeerRecords } from '../../lib/swarm/peer-records.ts';

describe('PeerRecords: what a session remembers about peers', () => {
  it('keeps a ban and strikes for a peer id across lookups', () => {
    const records = new PeerRecords(() => 1234);
    assert.equal(records.isBanned('peer-a'), false);
    assert.deepEqual(records.strike('peer-a'), { strikes: 1, ban: false });
    assert.deepEqual(records.strike('peer-a'), { strikes: 2, ban: false });
    assert.equal(records.ban('peer-a', 'sent a corrupt segment'), true);
    assert.equal(records.ban('peer-a', 'again'), false, 'a second ban is not new');
    assert.equal(records.isBanned('peer-a'), true);
    assert.equal(records.refuse('peer-a'), true);
    assert.equal(records.refuse('peer-b'), false, 'an unbanned peer is not refused');
    assert.deepEqual(records.get('peer-a'), {
      peerId: 'peer-a',
      ban: { reason: 'sent a corrupt segment', atMs: 1234 },
      strikes: { strikes: 2, lastStrikeAtMs: 1234, ignoredUntilMs: 0 },
      refusals: 1,
    });
    assert.equal(records.refusals, 1);
    assert.equal(records.isBanned('peer-b'), false);
    assert.equal(records.bannedCount, 1);
  });

  it('bounds the records a stranger can make it keep, and drops unbanned ones before banned ones', () => {
    const records = new PeerRecords(() => 0);
    records.ban('banned-first', 'bad');
    for (let i = 0; i < 5000; i++) records.strike(`peer-${i}`);
    assert.equal(records.isBanned('banned-first'), true);
    assert.equal(records.get('peer-4999').strikes.strikes, 1);
    assert.equal(records.get('peer-0').strikes.strikes, 0, 'the oldest unbanned record was dropped');
  });

  it('ignores a peer during its strike back-off and keeps its strikes when it reconnects', () => {
    let nowMs = 0;
    const records = new PeerRecords(() => nowMs);
    records.strike('staller');
    records.strike('staller');
    assert.equal(records.isIgnored('staller'), false);
    assert.deepEqual(records.strike('staller'), { strikes: 3, ban: false });
    assert.equal(records.isIgnored('staller'), true);
    assert.equal(records.isIgnored('someone-else'), false);
    nowMs = 10_000;
    assert.equal(records.isIgnored('staller'), false, 'the back-off ended');
    records.strike('staller');
    records.strike('staller');
    assert.deepEqual(records.strike('staller'), { strikes: 6, ban: true });
    assert.equal(records.strikeCount, 6);
  });
});
