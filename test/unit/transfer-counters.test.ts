import assert from 'node:assert/strict';
import { countSegment, newTransferCounters } from '../../lib/engine/transfer-counters.ts';

describe('transfer counters (the counting part of stats())', () => {
  it('start at zero', () => {
    assert.ok(Object.values(newTransferCounters()).every((count) => count === 0));
  });

  it('count each segment under its source, bytes and segments', () => {
    const counters = newTransferCounters();
    countSegment(counters, 'http', 100, 0);
    countSegment(counters, 'peer', 70, 0);
    countSegment(counters, 'peer', 30, 0);
    countSegment(counters, 'cache', 50, 0);
    assert.deepEqual(
      [counters.httpBytes, counters.p2pBytes, counters.cacheHitBytes],
      [100, 100, 50],
      'bytes: http, p2p, cache',
    );
    assert.deepEqual(
      [counters.segmentsFromHttp, counters.segmentsFromPeers, counters.segmentsFromCache],
      [1, 2, 1],
      'segments: http, peers, cache',
    );
  });

  it('split a segment resumed over HTTP: its first bytes came from the peer, the segment from HTTP', () => {
    const counters = newTransferCounters();
    countSegment(counters, 'http', 1000, 400);
    assert.equal(counters.httpBytes, 600);
    assert.equal(counters.p2pBytes, 400);
    assert.equal(counters.segmentsFromHttp, 1);
    assert.equal(counters.segmentsFromPeers, 0);
  });
});
