import assert from 'node:assert/strict';
import { countSegment, MAX_COUNTED_REGIONS, newTransferCounters } from '../../lib/engine/transfer-counters.ts';

describe('transfer counters (the counting part of stats())', () => {
  it('start at zero', () => {
    const { p2pBytesByRegion, ...counts } = newTransferCounters();
    assert.ok(Object.values(counts).every((count) => count === 0));
    assert.deepEqual(Object.keys(p2pBytesByRegion), []);
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

  it('count peer bytes under the sender region, a resumed segment only its first bytes; a hostile region name is just a key', () => {
    const counters = newTransferCounters();
    countSegment(counters, 'peer', 70, 0, 'eu');
    countSegment(counters, 'http', 1000, 400, 'eu');
    countSegment(counters, 'peer', 30, 0, '__proto__');
    countSegment(counters, 'http', 500, 0);
    assert.deepEqual({ ...counters.p2pBytesByRegion }, { eu: 470, ['__proto__']: 30 });
    assert.equal(Object.getPrototypeOf(counters.p2pBytesByRegion), null);
  });

  it('keep at most 32 regions apart: a peer telling a new region per connection adds no keys beyond them', () => {
    const counters = newTransferCounters();
    for (let i = 0; i < 1000; i++) countSegment(counters, 'peer', 10, 0, `region-${i}`);
    countSegment(counters, 'peer', 5, 0, 'region-3');
    const byRegion = counters.p2pBytesByRegion;
    assert.equal(Object.keys(byRegion).length, MAX_COUNTED_REGIONS + 1);
    assert.equal(MAX_COUNTED_REGIONS, 32);
    assert.equal(byRegion['region-3'], 15, 'a region already counted keeps counting');
    assert.equal(byRegion['*'], (1000 - MAX_COUNTED_REGIONS) * 10, 'the rest count under *');
    assert.equal(
      Object.values(byRegion).reduce((sum, bytes) => sum + bytes, 0),
      counters.p2pBytes,
      'every peer byte is counted once',
    );
  });
});
