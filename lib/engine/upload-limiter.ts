import type { UploadPacer } from '../peer/peer-uploads.ts';

// Smallest chunk under a cap (framing overhead stays under 0.5%).
const MIN_PACED_CHUNK_BYTES = 4096;

/**
 * A token bucket for upload bandwidth shared by all peers of one instance: one second of burst,
 * then `bytesPerSecond` on average. `reserve` books bytes and says how long to wait before sending.
 */
export class UploadLimiter {
  readonly #bytesPerSecond: number;
  #tokens: number;
  #lastMs: number;

  constructor(bytesPerSecond: number, nowMs: number) {
    this.#bytesPerSecond = bytesPerSecond;
    this.#tokens = bytesPerSecond;
    this.#lastMs = nowMs;
  }

  /** Book `bytes` at `nowMs`; returns the milliseconds to wait before sending them (0 = now). */
  reserve(bytes: number, nowMs: number): number {
    const elapsedMs = Math.max(0, nowMs - this.#lastMs);
    this.#lastMs = nowMs;
    this.#tokens = Math.min(this.#bytesPerSecond, this.#tokens + (elapsedMs / 1000) * this.#bytesPerSecond);
    this.#tokens -= bytes;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#bytesPerSecond) * 1000;
  }

  /**
   * The limiter as uploads use it. A full 64-KiB chunk under a low cap could wait longer than a
   * peer's first-byte timeout: chunks of an eighth of a second's bytes let the first ones out at once.
   */
  pacer(nowMs: () => number): UploadPacer {
    return {
      chunkBytes: Math.max(MIN_PACED_CHUNK_BYTES, Math.floor(this.#bytesPerSecond / 8)),
      delayMs: (bytes) => this.reserve(bytes, nowMs()),
      refund: (bytes) => this.refund(bytes),
    };
  }

  /** Give back bytes booked but never sent (the upload was cancelled while waiting). */
  refund(bytes: number): void {
    this.#tokens = Math.min(this.#bytesPerSecond, this.#tokens + bytes);
  }
}

/** The pacer of uploads under a cap of `bytesPerSecond` (null: no cap, no pacer). */
export function pacerForCap(bytesPerSecond: number | null, nowMs: () => number): UploadPacer | null {
  return bytesPerSecond === null ? null : new UploadLimiter(bytesPerSecond, nowMs()).pacer(nowMs);
}

/** Whether the browser reports a metered or cellular connection (Network Information API). */
export function onCellularOrSaveData(navigatorLike: unknown): boolean {
  const connection = (navigatorLike as { connection?: { type?: unknown; saveData?: unknown } } | undefined)?.connection;
  return connection?.type === 'cellular' || connection?.saveData === true;
}
