import { ewma } from '../policy/peer-choice.ts';
import { updateHttpThroughput, type HttpThroughput, type TransferTimings } from '../policy/transfer-timing.ts';

/**
 * This viewer's HTTP pace, typical segment size and the stream's bitrate, for comparing peers with
 * HTTP, for ABR's stats and for the uplink class told to peers.
 */
export class HttpPace {
  #throughput: HttpThroughput | null = null;
  #segmentBytes: number | null = null;
  #bitrateBytesPerMs: number | null = null;

  /** What this viewer's HTTP segment loads achieved lately; null before the first one. */
  get throughput(): HttpThroughput | null {
    return this.#throughput;
  }

  /** Smoothed size of the segments loaded (any source); null before the first one. */
  get typicalSegmentBytes(): number | null {
    return this.#segmentBytes;
  }

  /** An HTTP transfer finished with these timings. */
  measured(timings: TransferTimings): void {
    this.#throughput = updateHttpThroughput(this.#throughput, timings);
  }

  /** Smoothed bytes per millisecond of media of the segments loaded (the stream's bitrate); null before the first one. */
  get bitrateBytesPerMs(): number | null {
    return this.#bitrateBytesPerMs;
  }

  /** A segment of this size and duration (seconds of media; 0 when unknown) was loaded. */
  segmentSeen(bytes: number, durationSeconds: number): void {
    this.#segmentBytes = ewma(this.#segmentBytes, bytes);
    if (durationSeconds > 0) this.#bitrateBytesPerMs = ewma(this.#bitrateBytesPerMs, bytes / (durationSeconds * 1000));
  }

  /** How long HTTP would take for a typical segment; null until both are measured. */
  deliveryMs(): number | null {
    const http = this.#throughput;
    const bytes = this.#segmentBytes;
    return http === null || bytes === null ? null : http.firstByteMs + bytes / http.bytesPerMs;
  }
}
