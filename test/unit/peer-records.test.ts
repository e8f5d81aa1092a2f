import assert from 'node:assert/strict';
import { PeerRecords } from '../../lib/swarm/peer-records.ts';

describe('PeerRecords: what a session remembers about peers', () => {
  it('keeps a ban and strikes for a peer id across lookups', () => {
    const records = new PeerRecords(() => 1234);
    assert.equal(records.isBanned('peer-a'), false);
    assert.equal(records.strike('peer-a'), 1);
    assert.equal(records.strike('peer-a'), 2);
    assert.equal(records.ban('peer-a', 'sent a corrupt segment'), true);
    assert.equal(records.ban('peer-a', 'again'), false, 'a second ban is not new');
    assert.equal(records.isBanned('peer-a'), true);
    assert.equal(records.refuse('peer-a'), true);
    assert.equal(records.refuse('peer-b'), false, 'an unbanned peer is not refused');
    assert.deepEqual(records.get('peer-a'), {
      peerId: 'peer-a',
      ban: { reason: 'sent a corrupt segment', atMs: 1234 },
      strikes: 2,
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
    assert.equal(records.get('peer-4999').strikes, 1);
    assert.equal(records.get('peer-0').strikes, 0, 'the oldest unbanned record was dropped');
  });
});
