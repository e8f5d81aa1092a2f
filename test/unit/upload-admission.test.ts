import assert from 'node:assert/strict';
import { UplinkAdmission, uplinkAdmission, uplinkStats, type UploadBacklog } from '../../lib/peer/uplink-admission.ts';
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
    assert.deepEqual(uplinkStats(admission), { uplinkBytesPerSecond: 100_000, busyAnswers: 1 });
    assert.deepEqual(uplinkStats(null), { uplinkBytesPerSecond: null, busyAnswers: 0 });
    // Once the backlog has drained to 100 kB, a 50-kB request fits (1.5 s).
    a.backlogBytes = 60_000;
    b.backlogBytes = 40_000;
    assert.equal(admission.admits(50_000, 510), true);
    admission.delete(a);
    admission.delete(b);
    assert.equal(admission.admits(10_000_000, 520), true, 'no link, no backlog');
  });

  it('takes the upload cap as the uplink until a lower rate is measured', () => {
    const capped = new UplinkAdmission(1500, 64_000);
    assert.equal(capped.uplinkBytesPerMs, 64);
    const link = new ModelLink(10);
    capped.add(link);
    link.backlogBytes = 100_000;
    assert.equal(capped.admits(50_000, 0), false, '150 kB at 64 kB/s: 2.3 s');
    link.hand(50_000);
    for (let ms = 50; ms <= 300; ms += 50) {
      link.run(50);
      capped.sample(ms);
    }
    assert.equal(capped.uplinkBytesPerMs, 10, 'measured below the cap');
    assert.equal(uplinkAdmission(null, 64_000), null, 'no backlog bound: every request admitted');
  });

  it('learns nothing from a window in which every channel ran dry, or that it did not watch closely', () => {
    const admission = new UplinkAdmission(1500);
    const link = new ModelLink(100);
    admission.add(link);
    link.backlogBytes = 100_000;
    link.hand(1000);
    admission.sample(0);
    link.run(50);
    admission.sample(50);
    link.run(50); // the queue empties: the uplink waited for us
    admission.sample(100);
    link.hand(1000);
    for (let ms = 150; ms <= 400; ms += 50) admission.sample(ms); // queued, nothing sent: no rate
    assert.equal(admission.uplinkBytesPerMs, null);
    const measured = new UplinkAdmission(1500);
    const busy = new ModelLink(100);
    measured.add(busy);
    busy.backlogBytes = 100_000;
    busy.hand(40_000);
    measured.sample(0);
    busy.run(20); // 2 kB in 2 s: the uplink idled most of that time
    measured.sample(2000);
    assert.equal(measured.uplinkBytesPerMs, null, 'one look, then one 2 s later: not watched');
    for (let ms = 2050; ms <= 2300; ms += 50) {
      busy.run(50);
      measured.sample(ms);
    }
    assert.equal(measured.uplinkBytesPerMs, 100);
  });
});
