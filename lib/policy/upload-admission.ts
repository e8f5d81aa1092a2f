// Whether this viewer's uplink can take one more upload in time, and what that uplink is.
// Pure: the peer layer feeds it what its links measured.

/**
 * How much upload work, in time at the measured uplink rate, may be accepted at once. A request
 * beyond it is answered `busy`: the requester asks another peer or the origin now instead of
 * getting a fraction of an uplink that serves everyone late (simulator, live N=200: uploads sized
 * to each viewer's uplink took 10 points off the origin share, see bench/README.md).
 */
export const UPLOAD_BACKLOG_MS = 1500;
// A request needed later than the budget may wait this share of its time in our backlog (a prefetch
// queues instead of moving to another peer); one needed sooner gets the budget (simulator, 200
// viewers: 0.25 took 2.8 points off VOD's origin share where the budget alone added 4).
const NEEDED_SHARE = 0.25;
// The requester's word loosens the budget at most to this.
const MAX_BUDGET_MS = 10_000;
// The uplink estimate forgets a higher past rate this fast (e-fold time): a peak seen once (a burst of
// acks) must not admit fan-out for the rest of the session, a real uplink is measured again soon.
const UPLINK_MEMORY_MS = 30_000;

/**
 * The backlog a request may join: `baseMs`, or a quarter of the time until the requester needs it
 * when that is longer (at most 10 s). `neededInMs` is the requester's word (absent from older
 * peers), so it only loosens the budget, within that bound.
 */
export function uploadBudgetMs(baseMs: number, neededInMs: number | undefined): number {
  return Math.max(baseMs, Math.min(MAX_BUDGET_MS, (neededInMs ?? 0) * NEEDED_SHARE));
}

/**
 * Admit a request of `requestBytes` when the uploads already accepted (`backlogBytes` not yet sent)
 * and it drain within `budgetMs` at `uplinkBytesPerMs`. With nothing accepted, or the uplink not
 * measured yet, it is admitted: one upload at a time always runs.
 */
export function admitsUpload(
  backlogBytes: number,
  requestBytes: number,
  uplinkBytesPerMs: number | null,
  budgetMs: number = UPLOAD_BACKLOG_MS,
): boolean {
  if (backlogBytes <= 0 || uplinkBytesPerMs === null || !(uplinkBytesPerMs > 0)) return true;
  return (backlogBytes + requestBytes) / uplinkBytesPerMs <= budgetMs;
}

/**
 * The uplink's rate: the highest sum of the drain rates of links uploading at the same time, decaying
 * towards newer sums (a link alone may be held back by its receiver's downlink, not by our uplink; the
 * sum over busy links is what the uplink carried). Null until a busy link measured a rate.
 */
export class UplinkEstimate {
  #bytesPerMs: number | null = null;
  #atMs = 0;

  get bytesPerMs(): number | null {
    return this.#bytesPerMs;
  }

  /** The summed drain rate of the links uploading at `nowMs` (0 or less: nothing measured, ignored). */
  sample(sumBytesPerMs: number, nowMs: number): void {
    const previous = this.#bytesPerMs;
    const decayed = previous === null ? 0 : previous * Math.exp(-Math.max(0, nowMs - this.#atMs) / UPLINK_MEMORY_MS);
    if (!(sumBytesPerMs > 0) && previous === null) return;
    this.#bytesPerMs = Math.max(decayed, Number.isFinite(sumBytesPerMs) ? sumBytesPerMs : 0);
    this.#atMs = nowMs;
  }
}
