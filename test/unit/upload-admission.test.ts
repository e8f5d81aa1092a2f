import assert from 'node:assert/strict';
import { UplinkAdmission, uplinkAdmission, uplinkStats, type UploadBacklog } from '../../lib/peer/uplink-admission.ts';
import { admitsUpload, bytesUntilDone, uploadBudgetMs, UplinkEstimate } from '../../lib/policy/upload-admission.ts';

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

/** Two links added to `admission`, each with `backlogBytes` accepted. */
function twoLinks(admission: UplinkAdmission, rates: [number, number], backlogBytes: number): [ModelLink, ModelLink] {
  const links = rates.map((rate) => {
    const link = new ModelLink(rate);
    link.backlogBytes = backlogBytes;
    admission.add(link);
    return link;
  });
  return links as [ModelLink, ModelLink];
}

describe('upload admission: what our uplink takes on at once', () => {
  it('admits by the bytes sent until the request is through, the uplink rate and the budget', () => {
    const cases: [accepted: number, untilDone: number, uplink: number | null, budget: number, admitted: boolean][] = [
      [0, 10_000_000, 1, 1500, true], // nothing accepted: one upload always runs
      [1000, 2000, null, 1500, true], // the uplink not measured yet
      [1000, 2000, 0, 1500, true], // no rate measured (0): as unmeasured
      [100_000, 150_000, 100, 1500, true], // 1.5 s at 100 B/ms: just within
      [100_000, 150_001, 100, 1500, false], // a byte beyond
      [300_000, 400_000, 100, 4000, true], // a longer budget takes more
      [300_000, 400_000, 100, 3999, false],
    ];
    for (const [accepted, untilDone, uplink, budget, admitted] of cases)
      assert.equal(
        admitsUpload(accepted, untilDone, uplink, budget),
        admitted,
        `${untilDone} B at ${uplink} B/ms in ${budget} ms`,
      );
  });

  it('counts what the other links send meanwhile as the uplink is shared: at most as much as this one', () => {
    const cases: [own: number, request: number, others: number[], bytes: number][] = [
      [0, 100, [], 100],
      [50, 100, [], 150], // the request waits behind its own link's queue
      [0, 100, [30, 500], 100 + 30 + 100], // a short upload finishes, a long one sends as much as ours
      [0, 100, [10_000_000], 200], // a greedy link's long queue delays us by our own size only
      [-5, 100, [-1], 100], // nothing negative counts
    ];
    for (const [own, request, others, bytes] of cases)
      assert.equal(bytesUntilDone(own, request, others), bytes, `${own} + ${request} beside ${others.join(', ')}`);
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
      assert.equal(uploadBudgetMs(1500, neededInMs), budgetMs, `needed in ${neededInMs} ms`);
  });

  it('estimates the uplink as the highest rate seen, decaying as it is read, first from two busy links', () => {
    const estimate = new UplinkEstimate();
    estimate.sample(50, 0, 1);
    assert.equal(estimate.bytesPerMsAt(0), null, 'one busy link may measure its receiver: not a first estimate');
    estimate.sample(Number.NaN, 0, 2);
    estimate.sample(0, 0, 2);
    assert.equal(estimate.bytesPerMsAt(0), null);
    estimate.sample(100, 1000, 2);
    assert.equal(estimate.bytesPerMsAt(1000), 100);
    estimate.sample(50, 1000, 1); // a link alone held back by its receiver: the uplink is still 100
    assert.equal(estimate.bytesPerMsAt(1000), 100);
    assert.ok(Math.abs((estimate.bytesPerMsAt(31_000) ?? 0) - 100 / Math.E) < 1e-9, '30 s later: e-fold');
    estimate.sample(200, 31_000, 1); // ...and once there is an estimate, one link may raise it
    assert.equal(estimate.bytesPerMsAt(31_000), 200);
  });

  it('measures the uplink from what all links sent while a channel stayed busy, and refuses what would not be through in time', () => {
    const admission = new UplinkAdmission(1500);
    // Both upload one 200-kB segment; together they send 100 B/ms.
    const [a, b] = twoLinks(admission, [60, 40], 200_000);
    a.hand(20_000);
    b.hand(20_000);
    assert.equal(admission.admits(a, 100_000, 0), true, 'not measured yet');
    assert.equal(admission.uplinkBytesPerMs, null);
    for (let ms = 10; ms <= 500; ms += 10) {
      a.run(10);
      b.run(10);
      a.hand(Math.min(a.backlogBytes, 600));
      b.hand(Math.min(b.backlogBytes, 400));
      admission.sample(ms);
    }
    assert.ok(Math.abs((admission.uplinkBytesPerMs ?? 0) - 100) < 1, `uplink ${admission.uplinkBytesPerMs} B/ms`);
    // Left to hand over: a 150 kB, b 160 kB. A 50-kB request on a is through after 200 kB of a and
    // 160 kB of b: 3.6 s at 100 B/ms, over the 1.5-s budget.
    assert.equal(admission.admits(a, 50_000, 500), false);
    assert.equal(admission.admits(a, 50_000, 500, 20_000), true, 'a prefetch needed in 20 s may queue (5 s)');
    assert.equal(admission.refusedRequests, 1);
    // A new link's 50-kB request: 50 kB of its own and 50 kB of each other link, 1.5 s.
    const c = new ModelLink(10);
    admission.add(c);
    assert.equal(admission.admits(c, 50_000, 500), true, "others' long queues delay it by its own size only");
    admission.delete(a);
    admission.delete(b);
    admission.delete(c);
    assert.equal(admission.admits(c, 10_000_000, 520), true, 'no link, no backlog');
  });

  it('takes the upload cap as the uplink until a lower rate is measured', () => {
    const capped = new UplinkAdmission(1500, 64_000);
    assert.equal(capped.uplinkBytesPerMs, 64);
    const link = new ModelLink(10);
    const other = new ModelLink(10);
    capped.add(link);
    capped.add(other);
    link.backlogBytes = 100_000;
    assert.equal(capped.admits(link, 50_000, 0), false, '150 kB at 64 kB/s: 2.3 s');
    link.hand(50_000);
    other.backlogBytes = 50_000;
    other.hand(50_000);
    for (let ms = 50; ms <= 300; ms += 50) {
      link.run(50);
      other.run(50);
      capped.sample(ms);
    }
    assert.equal(capped.uplinkBytesPerMs, 20, 'measured below the cap');
    assert.deepEqual(uplinkStats(capped), { uplinkBytesPerSecond: 20_000, busyAnswers: 1 });
    assert.deepEqual(uplinkStats(null), { uplinkBytesPerSecond: null, busyAnswers: 0 });
    assert.equal(uplinkAdmission(null, 64_000), null, 'no backlog bound: every request admitted');
  });

  it('learns nothing from a window in which every channel ran dry, or that it did not watch closely', () => {
    const admission = new UplinkAdmission(1500);
    const [a, b] = twoLinks(admission, [100, 100], 100_000);
    a.hand(1000);
    b.hand(1000);
    admission.sample(0);
    a.run(50);
    b.run(50);
    admission.sample(50);
    a.run(50); // the queues empty: the uplink waited for us
    b.run(50);
    admission.sample(100);
    a.hand(1000);
    for (let ms = 150; ms <= 400; ms += 50) admission.sample(ms); // queued, nothing sent: no rate
    assert.equal(admission.uplinkBytesPerMs, null);
    // One look, then one 2 s later: what happened between (an idle uplink, perhaps) is not measured.
    a.hand(40_000);
    b.hand(40_000);
    admission.sample(2000);
    a.run(20);
    b.run(20);
    admission.sample(4000);
    assert.equal(admission.uplinkBytesPerMs, null);
    for (let ms = 4050; ms <= 4300; ms += 50) {
      a.run(50);
      b.run(50);
      admission.sample(ms);
    }
    assert.ok(Math.abs((admission.uplinkBytesPerMs ?? 0) - 200) < 1, `uplink ${admission.uplinkBytesPerMs} B/ms`);
  });
});
