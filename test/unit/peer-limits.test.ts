import assert from 'node:assert/strict';
import {
  MAX_SEGMENT_SIZE_BOUND_BYTES,
  RECEIVE_BUDGET_BYTES,
  ReceiveBudget,
  receiveBudgetBytes,
  SegmentSizeLimits,
  segmentSizeBoundBytes,
} from '../../lib/peer/peer-limits.ts';

const MiB = 1024 * 1024;

describe('peer limits: the receive budget', () => {
  it('is 16 MiB for common segments, and twice the declared-size bound for large ones', () => {
    assert.equal(receiveBudgetBytes(null), RECEIVE_BUDGET_BYTES);
    assert.equal(receiveBudgetBytes(2 * MiB), 16 * MiB);
    assert.equal(receiveBudgetBytes(6 * MiB), 48 * MiB); // bound 4 × 6 = 24 MiB
    assert.equal(receiveBudgetBytes(20 * MiB), 2 * MAX_SEGMENT_SIZE_BOUND_BYTES); // bound capped at 32 MiB
  });

  it('always holds the largest segment a peer may declare, and one more of it', () => {
    for (const largest of [null, 1, 500_000, 2 * MiB, 3 * MiB, 5 * MiB, 7.5 * MiB, 9 * MiB, 40 * MiB]) {
      const bound = segmentSizeBoundBytes(largest);
      assert.ok(receiveBudgetBytes(largest) >= 2 * bound, `largest ${largest}: budget below twice the bound ${bound}`);
    }
  });

  it('reads its limit at each reservation, so it grows with the stream', () => {
    let limit = 10;
    const budget = new ReceiveBudget(() => limit);
    assert.equal(budget.reserve(8), true);
    assert.equal(budget.reserve(4), false, 'over the limit: nothing taken');
    assert.equal(budget.usedBytes, 8);
    limit = 20;
    assert.equal(budget.reserve(4), true);
    assert.equal(budget.usedBytes, 12);
    budget.release(12);
    assert.equal(budget.usedBytes, 0);
  });
});

describe('peer limits: from the segment sizes seen', () => {
  it("a peer's large segment raises the declared-size bound, not the receive budget; the origin's raises both", () => {
    const limits = new SegmentSizeLimits();
    assert.equal(limits.boundBytes(), segmentSizeBoundBytes(null));
    // A padded 8-MiB segment from a peer (it passed the checks there are without a manifest).
    limits.seen(8 * MiB, false);
    assert.equal(limits.boundBytes(), MAX_SEGMENT_SIZE_BOUND_BYTES);
    assert.equal(limits.receiveBudget.reserve(16 * MiB), true);
    assert.equal(limits.receiveBudget.reserve(1), false, 'the budget stayed at 16 MiB');
    limits.receiveBudget.release(16 * MiB);
    // The origin serves segments that large: the budget follows.
    limits.seen(8 * MiB, true);
    assert.equal(limits.receiveBudget.reserve(2 * MAX_SEGMENT_SIZE_BOUND_BYTES), true);
    assert.equal(limits.receiveBudget.reserve(1), false);
  });
});
