import assert from 'node:assert/strict';
import { UplinkAdmission, type UploadBacklog } from '../../lib/peer/uplink-admission.ts';
import { admitsUpload, UPLOAD_BACKLOG_MS, uploadBudgetMs, UplinkEstimate } from '../../lib/policy/upload-admission.ts';

/** A link whose channel sends `rateBytesPerMs` while it has bytes queued, on the test's clock. */
class ModelLink implements UploadBacklog {
  backlogBytes = 0;
  queuedBytes = 0;
  drainedBytes = 0;
  constructor(readonly rateBytesPerMs: number) {}
  /** Hand bytes to the channel (they leave the backlog and join its queue). */
  hand(bytes: number): void {
    this.backlogBytes -= bytes;
    this.queuedBytes += bytes;
  }
  run(ms: number): void {
    const sent = Math.min(this.queuedBytes, this.rateBytesPerMs * ms);
    this.queuedBytes -= sent;
    this.drainedBytes += sent;
  }
}

describe('upload admission: what our uplink takes on at once', () => {
  it('admits by backlog, request size and uplink rate against the budget', () => {
    const cases: [backlog: number, request: number, uplink: number | null, budget: number, admitted: boolean][] = [
      [0, 10_000_000, 1, 1500, true], // nothing accepted: one upload always runs
      [1000, 1000, null, 1500, true], // the uplink not measured yet
      [1000, 1000, 0, 1500, true], // no rate measured (0): as unmeasured
      [100_000, 50_000, 100, 1500, true], // 1.5 s at 100 B/ms: just within
      [100_000, 50_001, 100, 1500, false], // a byte beyond
      [300_000, 100_000, 100, 4000, true], // a longer budget takes more
      [300_000, 100_000, 100, 3999, false],
    ];
    for (const [backlog, request, uplink, budget, admitted] of cases)
      assert.equal(
        admitsUpload(backlog, request, uplink, budget),
        admitted,
        `${backlog} B + ${request} B at ${uplink} B/ms in ${budget} ms`,
      );
  });

  it("loosens the budget to a quarter of the requester's time, at most 10 s, never tightens it", () => {
    const cases: [neededInMs: number | undefined, budgetMs: number][] = [
      [undefined, 1500], // an older peer
      [0, 1500],
      [4000, 1500], // a live edge segment: the budget
      [6000, 1500],
      [20_000, 5000], // a prefetch may queue longer
      [40_000, 10_000],
      [3_600_000, 10_000], // the requester's word is bounded
    ];
    for (const [neededInMs, budgetMs] of cases)
      assert.equal(uploadBudgetMs(UPLOAD_BACKLOG_MS, neededInMs), budgetMs, `needed in ${neededInMs} ms`);
  });

  it('estimates the uplink as the highest rate seen, forgetting it slowly, and ignores empty samples before any', () => {
    const estimate = new UplinkEstimate();
    estimate.sample(0, 0);
    assert.equal(estimate.bytesPerMs, null);
    estimate.sample(100, 1000);
    assert.equal(estimate.bytesPerMs, 100);
    estimate.sample(50, 1000); // a link alone held back by its receiver: the uplink is still 100
    assert.equal(estimate.bytesPerMs, 100);
    estimate.sample(10, 31_000); // 30 s later: e-fold (above the new sample)
    assert.ok(Math.abs((estimate.bytesPerMs ?? 0) - 100 / Math.E) < 1e-9);
    estimate.sample(200, 31_000);
    assert.equal(estimate.bytesPerMs, 200);
    estimate.sample(Number.NaN, 31_000);
    assert.equal(estimate.bytesPerMs, 200);
  });

  it('measures the uplink from what all links sent while a channel stayed busy, and refuses what would not drain in time', () => {
    const admission = new UplinkAdmission(1500);
    const a = new ModelLink(60);
    const b = new ModelLink(40);
    admission.add(a);
    admission.add(b);
    // Both upload one 200 kB segment; together they send 100 B/ms.
    a.backlogBytes = 200_000;
    b.backlogBytes = 200_000;
    a.hand(20_000);
    b.hand(20_000);
    assert.equal(admission.admits(100_000, 0), true, 'not measured yet');
    assert.equal(admission.uplinkBytesPerMs, null);
    for (let ms = 10; ms <= 500; ms += 10) {
      a.run(10);
      b.run(10);
      a.hand(Math.min(a.backlogBytes, 600));
      b.hand(Math.min(b.backlogBytes, 400));
      admission.sample(ms);
    }
    assert.ok(Math.abs((admission.uplinkBytesPerMs ?? 0) - 100) < 1, `uplink ${admission.uplinkBytesPerMs} B/ms`);
    // 310 kB accepted and not sent: 3.1 s at 100 B/ms, over the 1.5-s budget.
    assert.equal(admission.admits(50_000, 500), false);
    assert.equal(admission.admits(50_000, 500, 20_000), true, 'a prefetch needed in 20 s may queue (5 s)');
    // Once the backlog has drained to 100 kB, a 50-kB request fits (1.5 s).
    a.backlogBytes = 60_000;
    b.backlogBytes = 40_000;
    assert.equal(admission.admits(50_000, 510), true);
    admission.delete(a);
    admission.delete(b);
    assert.equal(admission.admits(10_000_000, 520), true, 'no link, no backlog');
  });

  it('learns nothing from a window in which every channel ran dry', () => {
    const admission = new UplinkAdmission(1500);
    const link = new ModelLink(100);
    admission.add(link);
    link.backlogBytes = 100_000;
    link.hand(1000);
    admission.sample(0);
    link.run(300); // the queue empties: the uplink waited for us
    admission.sample(300);
    link.hand(1000);
    admission.sample(300);
    assert.equal(admission.uplinkBytesPerMs, null);
    link.run(5); // 500 B sent in the next 250 ms window, the queue never empty
    admission.sample(550);
    assert.equal(admission.uplinkBytesPerMs, 2);
  });
});
