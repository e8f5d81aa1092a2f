import { admitsUpload, UPLOAD_BACKLOG_MS, uploadBudgetMs, UplinkEstimate } from '../policy/upload-admission.ts';

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
// queued on its channel (so the uplink never waited for us).
const BUSY_WINDOW_MS = 250;

/**
 * One viewer's uplink shared by all its links. It measures the uplink's rate from the bytes all
 * links sent while some channel always had more queued (a link held back by its receiver's downlink
 * measures less than the uplink; never more), and admits a request while the uploads already
 * accepted on every link drain in time at that rate (see `admitsUpload`); the link answers the
 * others `busy`.
 */
export class UplinkAdmission {
  // Each link and what it had sent at the start of the current busy window.
  readonly #links = new Map<UploadBacklog, number>();
  readonly #estimate = new UplinkEstimate();
  readonly #budgetMs: number;
  // When the current busy window started; null while no channel has bytes queued.
  #windowStartMs: number | null = null;

  constructor(budgetMs: number = UPLOAD_BACKLOG_MS) {
    this.#budgetMs = budgetMs;
  }

  /** The measured uplink rate, null until measured. */
  get uplinkBytesPerMs(): number | null {
    return this.#estimate.bytesPerMs;
  }

  add(link: UploadBacklog): void {
    this.#links.set(link, link.drainedBytes);
  }

  delete(link: UploadBacklog): void {
    this.#links.delete(link);
  }

  /** Look at the links' channels (the drain loops call this as they send): learn the uplink's rate. */
  sample(nowMs: number): void {
    let queuedBytes = 0;
    for (const link of this.#links.keys()) queuedBytes += link.queuedBytes;
    const startMs = this.#windowStartMs;
    if (queuedBytes <= 0) {
      this.#windowStartMs = null;
      return;
    }
    if (startMs !== null && nowMs - startMs < BUSY_WINDOW_MS) return;
    // A window ends (its rate is learned) and the next one starts here.
    let sentBytes = 0;
    for (const [link, atStartBytes] of this.#links) {
      const drainedBytes = link.drainedBytes;
      sentBytes += drainedBytes - atStartBytes;
      this.#links.set(link, drainedBytes);
    }
    if (startMs !== null) this.#estimate.sample(sentBytes / (nowMs - startMs), nowMs);
    this.#windowStartMs = nowMs;
  }

  /**
   * Whether a request of `requestBytes` fits beside the accepted uploads of every link, in the
   * budget for a request needed in `neededInMs` (see `uploadBudgetMs`).
   */
  admits(requestBytes: number, nowMs: number, neededInMs?: number): boolean {
    this.sample(nowMs);
    let backlogBytes = 0;
    for (const link of this.#links.keys()) backlogBytes += Math.max(0, link.backlogBytes);
    const budgetMs = uploadBudgetMs(this.#budgetMs, neededInMs);
    return admitsUpload(backlogBytes, requestBytes, this.#estimate.bytesPerMs, budgetMs);
  }
}
