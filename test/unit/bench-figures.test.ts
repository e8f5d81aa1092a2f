import assert from 'node:assert/strict';
import {
  countersAgree,
  fractionOfLimit,
  median,
  offload,
  offloadLimit,
  originCopiesPerSegment,
  percentile,
} from '../../bench/figures.ts';

describe('benchmark figures', () => {
  it('computes offload against the HTTP-only baseline', () => {
    assert.equal(offload(250, 1000), 0.75);
    assert.equal(offload(1000, 1000), 0);
    assert.throws(() => offload(1, 0), RangeError);
  });

  it('computes the physical offload limit 1 − 1/N', () => {
    assert.equal(offloadLimit(1), 0);
    assert.equal(offloadLimit(4), 0.75);
    assert.equal(offloadLimit(8), 0.875);
    assert.throws(() => offloadLimit(0), RangeError);
  });

  it('expresses offload as a fraction of the limit', () => {
    assert.equal(fractionOfLimit(0.75, 4), 1);
    assert.equal(fractionOfLimit(0.375, 4), 0.5);
    assert.equal(fractionOfLimit(0.2, 1), 0);
  });

  it('checks the library counter against the origin within 1%', () => {
    assert.deepEqual(countersAgree(1000, 1009), { agree: true, relativeDifference: 0.009 });
    assert.equal(countersAgree(1000, 1011).agree, false);
    assert.equal(countersAgree(1000, 980).agree, false);
    assert.equal(countersAgree(0, 0).agree, true);
    assert.equal(countersAgree(0, 5).agree, false);
  });

  it('counts origin copies per segment, partial fetches as fractions', () => {
    const sizes: Record<string, number> = { '/a.ts': 100, '/b.ts': 200, '/c.ts': 50 };
    const figures = originCopiesPerSegment({ '/a.ts': 100, '/b.ts': 500, '/c.ts': 0, '/x.m3u8': 10 }, (p) => sizes[p]);
    assert.deepEqual(figures, { mean: 1.75, max: 2.5, segments: 2 });
    assert.deepEqual(
      originCopiesPerSegment({}, () => 1),
      { mean: 0, max: 0, segments: 0 },
    );
  });

  it('computes medians and nearest-rank percentiles', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), 5);
    assert.throws(() => median([]), RangeError);
  });
});
