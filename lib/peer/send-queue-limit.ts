/**
 * Above this many queued bytes on the data channel we never send more: Chrome closes a channel whose
 * send queue overflows (simple-peer's send() ignores backpressure).
 */
export const UPLOAD_HIGH_WATER_BYTES = 1024 * 1024;
/** Keep about this much of a link's measured drain time queued on its data channel. */
export const SEND_QUEUE_MS = 50;
// A segment goes out in about this many chunks (fewer for a segment over 16 × the largest message).
const CHUNKS_PER_SEGMENT = 16;
// Until a link's drain rate is measured, this many chunks may wait on its channel.
const UNMEASURED_QUEUE_CHUNKS = 4;
// The limit never falls below this many chunks: the channel always has the next one at hand.
const MIN_QUEUE_CHUNKS = 2;
// Weight of the newest drain-rate sample (the rest is the running average).
const RATE_SAMPLE_WEIGHT = 0.3;
// The drain loop's wait on a full queue: at least this long (and this long while the rate is unmeasured)...
const MIN_WAIT_MS = 5;

/** The chunk size for a segment: about a sixteenth of it, within [1, maxChunkBytes]. */
export function uploadChunkBytes(segmentBytes: number, maxChunkBytes: number): number {
  return Math.max(1, Math.min(maxChunkBytes, Math.ceil(segmentBytes / CHUNKS_PER_SEGMENT)));
}

/**
 * How many bytes one link may leave queued on its data channel. Bytes handed to a channel cannot be
 * taken back: when the downloader cancels (it fell back to HTTP), the queued rest still crosses our
 * uplink and its downlink, ahead of everything sent after it, and slows the very HTTP request that
 * replaced it. A fixed 1-MiB queue holds whole segments on a slow uplink. So the limit follows the
 * link's measured drain rate: about SEND_QUEUE_MS of it (enough to keep the channel busy between two
 * checks of the drain loop), at least two chunks, at most UPLOAD_HIGH_WATER_BYTES. Times, not byte
 * counts, set it, so it holds for any segment size and link speed.
 */
export class SendQueueLimit {
  #rateBytesPerMs: number | null = null;
  #lastBufferedBytes = 0;
  #lastAtMs = 0;
  #handedBytes = 0;

  /** Bytes were handed to the channel (they are queued until it sends them). */
  handed(bytes: number): void {
    this.#handedBytes += bytes;
  }

  /**
   * At a check of the drain loop: learn the channel's rate from what it sent since the last check,
   * and return how many bytes may be queued now for chunks of `chunkBytes`.
   */
  limitBytes(bufferedBytes: number, nowMs: number, chunkBytes: number): number {
    // Only a channel busy from check to check shows its rate (one that ran dry sent all it had, and a
    // queue that empties between checks is no limit on it).
    if (this.#lastBufferedBytes > 0 && bufferedBytes > 0 && nowMs > this.#lastAtMs) {
      const sampleBytesPerMs = (this.#lastBufferedBytes + this.#handedBytes - bufferedBytes) / (nowMs - this.#lastAtMs);
      const rate = this.#rateBytesPerMs;
      // Smoothed: a single short sample (a timer that fired late, a burst of acks) is noise.
      this.#rateBytesPerMs = rate === null ? sampleBytesPerMs : rate + (sampleBytesPerMs - rate) * RATE_SAMPLE_WEIGHT;
    }
    this.#lastBufferedBytes = bufferedBytes;
    this.#lastAtMs = nowMs;
    this.#handedBytes = 0;
    const rate = this.#rateBytesPerMs;
    const wantedBytes = rate === null ? UNMEASURED_QUEUE_CHUNKS * chunkBytes : rate * SEND_QUEUE_MS;
    return Math.min(UPLOAD_HIGH_WATER_BYTES, Math.max(MIN_QUEUE_CHUNKS * chunkBytes, wantedBytes));
  }

  /**
   * How long the drain loop waits on a queue at or over `limitBytes` before it looks again: until the
   * excess and one chunk more have drained at the measured rate, so that the next chunk fits (a
   * channel's queue shrinks a message at a time, not byte by byte). The limit of two chunks or more
   * keeps the channel busy meanwhile. At least MIN_WAIT_MS, at most SEND_QUEUE_MS. A slow uplink's
   * loop wakes about once per chunk instead of every MIN_WAIT_MS.
   */
  waitMs(bufferedBytes: number, limitBytes: number, chunkBytes: number): number {
    const rate = this.#rateBytesPerMs;
    if (rate === null || rate <= 0) return MIN_WAIT_MS;
    const drainMs = Math.ceil((bufferedBytes - limitBytes + chunkBytes) / rate);
    return Math.min(SEND_QUEUE_MS, Math.max(MIN_WAIT_MS, drainMs));
  }
}
