import { admitsUpload, bytesUntilDone, uploadBudgetMs, UplinkEstimate } from '../policy/upload-admission.ts';

/** What one link's uploads weigh on the uplink now. */
export interface UploadBacklog {
  /** Bytes of accepted requests (being served or queued) not yet handed to the channel. */
  readonly backlogBytes: number;
  /** Bytes handed to the channel since the link opened, less those still queued on it (sent). */
  readonly drainedBytes: number;
  /** Bytes queued on the channel now, not yet sent. */
  readonly queuedBytes: number;
}

// The uplink's rate is measured over windows at least this long in which some link always had bytes
// queued on its channel (so the uplink never waited for us)...
const BUSY_WINDOW_MS = 250;
// ...as seen by samples at most this far apart: a busy link's drain loop looks every 50 ms at most
// (SEND_QUEUE_MS), and a longer gap may hide an idle uplink (a window spanning seconds without
// uploads measured a browser's uplink at a few kB/s).
const MAX_SAMPLE_GAP_MS = 100;

/** The uplink admission of `uploadBacklogMs` and `uploadMaxBytesPerSecond`; null (admit all) without a backlog bound. */
export function uplinkAdmission(backlogMs: number | null, capBytesPerSecond: number | null): UplinkAdmission | null {
  return backlogMs === null ? null : new UplinkAdmission(backlogMs, capBytesPerSecond);
}

/** What `stats()` tells of the uplink (none: `uploadBacklogMs` is null). */
export function uplinkStats(uplink: UplinkAdmission | null): {
  readonly uplinkBytesPerSecond: number | null;
  readonly busyAnswers: number;
} {
  const bytesPerMs = uplink?.uplinkBytesPerMs ?? null;
  return {
    uplinkBytesPerSecond: bytesPerMs === null ? null : Math.round(bytesPerMs * 1000),
    busyAnswers: uplink?.refusedRequests ?? 0,
  };
}

/**
 * One viewer's uplink shared by all its links. It measures the uplink's rate from the bytes all
 * links sent while some channel always had more queued (see UplinkEstimate), at most the upload
 * cap, and admits a request while it would be through within the budget at that rate, the other
 * links' uploads sharing the uplink (see `bytesUntilDone`); the link answers the others `busy`.
 */
export class UplinkAdmission {
  // Each link and what it had sent at the start of the current busy window.
  readonly #links = new Map<UploadBacklog, number>();
  readonly #estimate = new UplinkEstimate();
  readonly #budgetMs: number;
  readonly #capBytesPerMs: number;
  // When the current busy window started; null while no channel has bytes queued.
  #windowStartMs: number | null = null;
  #lastSampleMs = 0;
  #refusedRequests = 0;

  /** `capBytesPerSecond`: the upload cap (`uploadMaxBytesPerSecond`), which the uplink never exceeds. */
  constructor(budgetMs: number, capBytesPerSecond: number | null = null) {
    this.#budgetMs = budgetMs;
    this.#capBytesPerMs = capBytesPerSecond === null ? Infinity : capBytesPerSecond / 1000;
  }

  /** The uplink's rate at the last look: as measured, at most the upload cap; null while neither is known. */
  get uplinkBytesPerMs(): number | null {
    return this.#rateAt(this.#lastSampleMs);
  }

  /** Requests not admitted so far (answered `busy`). */
  get refusedRequests(): number {
    return this.#refusedRequests;
  }

  /** A link whose uploads share the uplink (until `delete`). */
  add(link: UploadBacklog): void {
    this.#links.set(link, link.drainedBytes);
  }

  /** A link closed: its uploads no longer weigh on the uplink. */
  delete(link: UploadBacklog): void {
    this.#links.delete(link);
  }

  /** Look at the links' channels (the drain loops call this as they send): learn the uplink's rate. */
  sample(nowMs: number): void {
    // Whether some channel has bytes queued (the first one found tells: a count is never negative).
    let queued = false;
    for (const link of this.#links.keys()) {
      if (link.queuedBytes > 0) {
        queued = true;
        break;
      }
    }
    const gapMs = nowMs - this.#lastSampleMs;
    this.#lastSampleMs = nowMs;
    const startMs = gapMs > MAX_SAMPLE_GAP_MS ? null : this.#windowStartMs;
    if (!queued) {
      this.#windowStartMs = null;
      return;
    }
    if (startMs !== null && nowMs - startMs < BUSY_WINDOW_MS) return;
    // A window ends (its rate is learned) and the next one starts here.
    let sentBytes = 0;
    let busyLinks = 0;
    for (const [link, atStartBytes] of this.#links) {
      const drainedBytes = link.drainedBytes;
      const linkSentBytes = drainedBytes - atStartBytes;
      if (linkSentBytes > 0) {
        sentBytes += linkSentBytes;
        busyLinks += 1;
      }
      this.#links.set(link, drainedBytes);
    }
    if (startMs !== null) this.#estimate.sample(sentBytes / (nowMs - startMs), nowMs, busyLinks);
    this.#windowStartMs = nowMs;
  }

  /**
   * Whether a request of `requestBytes` on `link` would be through in time beside the accepted
   * uploads of every link: within the budget for a request needed in `neededInMs` (see `uploadBudgetMs`).
   */
  admits(link: UploadBacklog, requestBytes: number, nowMs: number, neededInMs?: number): boolean {
    this.sample(nowMs);
    let acceptedBytes = 0;
    const others: number[] = [];
    for (const each of this.#links.keys()) {
      const bytes = Math.max(0, each.backlogBytes);
      acceptedBytes += bytes;
      if (each !== link) others.push(bytes);
    }
    const untilDoneBytes = bytesUntilDone(link.backlogBytes, requestBytes, others);
    const budgetMs = uploadBudgetMs(this.#budgetMs, neededInMs);
    const admitted = admitsUpload(acceptedBytes, untilDoneBytes, this.#rateAt(nowMs), budgetMs);
    if (!admitted) this.#refusedRequests += 1;
    return admitted;
  }

  #rateAt(nowMs: number): number | null {
    const rate = Math.min(this.#estimate.bytesPerMsAt(nowMs) ?? Infinity, this.#capBytesPerMs);
    return rate === Infinity ? null : rate;
  }
}
