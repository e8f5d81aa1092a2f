import assert from 'node:assert/strict';
import { SegmentCache, type CachedSegment } from '../../lib/engine/segment-cache.ts';

const MiB = 1024 * 1024;
const segment = (sequenceNumber: number, bytes: number, swarmId = 'swarm-a'): CachedSegment => ({
  swarmId,
  sequenceNumber,
  data: new ArrayBuffer(bytes),
  downloadMs: 100,
  startSeconds: sequenceNumber * 2,
});

describe('SegmentCache', () => {
  it('never holds more bytes than its bound and reports what it evicts', () => {
    const evicted: number[] = [];
    const cache = new SegmentCache(3 * MiB, (s) => evicted.push(s.sequenceNumber));
    for (let sn = 0; sn < 10; sn++) {
      cache.put(segment(sn, MiB));
      assert.ok(cache.byteLength <= 3 * MiB);
    }
    assert.deepEqual(evicted, [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(cache.sequenceNumbers('swarm-a'), [7, 8, 9]);
  });

  it('evicts the least recently used segment first', () => {
    const evicted: number[] = [];
    const cache = new SegmentCache(2 * MiB, (s) => evicted.push(s.sequenceNumber));
    cache.put(segment(1, MiB));
    cache.put(segment(2, MiB));
    assert.ok(cache.get('swarm-a', 1) !== undefined);
    cache.put(segment(3, MiB));
    assert.deepEqual(evicted, [2]);
    assert.ok(cache.has('swarm-a', 1));
  });

  it('refuses a segment larger than the whole bound', () => {
    const cache = new SegmentCache(MiB, () => assert.fail('nothing to evict'));
    assert.equal(cache.put(segment(1, MiB + 1)), false);
    assert.equal(cache.size, 0);
  });

  it('replaces a segment stored twice without counting it twice', () => {
    const cache = new SegmentCache(4 * MiB, () => undefined);
    cache.put(segment(1, MiB));
    cache.put(segment(1, MiB));
    assert.equal(cache.byteLength, MiB);
    assert.equal(cache.size, 1);
  });

  it('keeps swarms apart', () => {
    const cache = new SegmentCache(4 * MiB, () => undefined);
    cache.put(segment(1, 10, 'a'));
    cache.put(segment(1, 10, 'b'));
    cache.put(segment(2, 10, 'b'));
    assert.deepEqual(cache.sequenceNumbers('a'), [1]);
    assert.deepEqual(cache.sequenceNumbers('b'), [1, 2]);
    assert.equal(cache.get('a', 2), undefined);
  });

  it('evicts segments the owner is done with (behind the playhead) before less recently used ones', () => {
    const evicted: number[] = [];
    const playheadSeconds = 9;
    const cache = new SegmentCache(
      3 * MiB,
      (s) => evicted.push(s.sequenceNumber),
      (s) => s.startSeconds + 2 <= playheadSeconds,
    );
    cache.put(segment(6, MiB)); // starts at 12 s: ahead
    cache.put(segment(1, MiB)); // starts at 2 s: behind
    cache.put(segment(7, MiB)); // ahead
    cache.put(segment(8, MiB)); // full: the behind one goes, although 6 is older
    assert.deepEqual(evicted, [1]);
    cache.put(segment(9, MiB)); // nothing behind: least recently used
    assert.deepEqual(evicted, [1, 6]);
  });

  it('never evicts the segment it is storing', () => {
    const evicted: number[] = [];
    const cache = new SegmentCache(
      2 * MiB,
      (s) => evicted.push(s.sequenceNumber),
      () => true,
    );
    cache.put(segment(1, MiB));
    cache.put(segment(2, MiB));
    cache.put(segment(3, MiB));
    assert.deepEqual(evicted, [1]);
    assert.ok(cache.has('swarm-a', 3));
  });
});
