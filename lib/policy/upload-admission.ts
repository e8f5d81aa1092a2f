// Whether this viewer's uplink can take one more upload in time, and what that uplink is.
// Pure: the peer layer feeds it what its links measured. A request beyond the budget is answered
// `busy`: its requester asks another peer (or waits, or goes to the origin) instead of getting a
// share of an uplink that serves everyone late (simulator, live N=200: uploads sized to each
// viewer's uplink took 10 points off the origin share, see bench/README.md).

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
 * Bytes our uplink sends until a request of `requestBytes` is through, when it joins a link with
 * `ownBacklogBytes` ahead of it: links share the uplink evenly, so meanwhile each other link sends
 * its own backlog or as much as this link does, whichever is less. One link's long queue (a greedy
 * prefetcher's) thus delays others' requests by no more than their own size.
 */
export function bytesUntilDone(ownBacklogBytes: number, requestBytes: number, otherBacklogs: Iterable<number>): number {
  const ownBytes = Math.max(0, ownBacklogBytes) + requestBytes;
  let bytes = ownBytes;
  for (const other of otherBacklogs) bytes += Math.min(Math.max(0, other), ownBytes);
  return bytes;
}

/**
 * Admit a request that is through after `bytesUntilDoneBytes` (see `bytesUntilDone`) if that takes
 * at most `budgetMs` at `uplinkBytesPerMs`. With nothing accepted (`acceptedBytes` 0), or the uplink
 * not measured yet, it is admitted: one upload at a time always runs.
 */
export function admitsUpload(
  acceptedBytes: number,
  bytesUntilDoneBytes: number,
  uplinkBytesPerMs: number | null,
  budgetMs: number,
): boolean {
  if (acceptedBytes <= 0 || uplinkBytesPerMs === null || !(uplinkBytesPerMs > 0)) return true;
  return bytesUntilDoneBytes / uplinkBytesPerMs <= budgetMs;
}

/**
 * The uplink's rate: the highest rate all links together sent at while some channel stayed busy,
 * forgotten with an e-fold time of 30 s (read at a time, it has decayed to then). A window with a
 * single busy link may measure that receiver's downlink rather than our uplink: it can raise the
 * estimate, never be the first one. Null until measured.
 */
export class UplinkEstimate {
  #bytesPerMs: number | null = null;
  #atMs = 0;

  /** The estimate as of `nowMs`. */
  bytesPerMsAt(nowMs: number): number | null {
    const rate = this.#bytesPerMs;
    return rate === null ? null : rate * Math.exp(-Math.max(0, nowMs - this.#atMs) / UPLINK_MEMORY_MS);
  }

  /** The rate the uplink carried in a busy window ending at `nowMs`, over `busyLinks` links. */
  sample(bytesPerMs: number, nowMs: number, busyLinks: number): void {
    if (!(bytesPerMs > 0) || !Number.isFinite(bytesPerMs)) return;
    const decayed = this.bytesPerMsAt(nowMs);
    if (decayed === null && busyLinks < 2) return;
    this.#bytesPerMs = Math.max(decayed ?? 0, bytesPerMs);
    this.#atMs = nowMs;
  }
}
