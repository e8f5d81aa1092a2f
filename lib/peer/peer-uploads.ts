import { encodeData, MAX_CHUNK_BYTES, type PeerMessage } from './peer-protocol.ts';

/** Paces uploads under a bandwidth cap (the engine's UploadLimiter behind it). */
export interface UploadPacer {
  /** Largest chunk to send at once: small enough that the first bytes leave without a long wait. */
  readonly chunkBytes: number;
  /** Book bytes; returns how long to wait before sending them. */
  delayMs(bytes: number): number;
  /** Give back bytes booked but not sent after all. */
  refund(bytes: number): void;
}

/** What the uploads of one link need from it. */
export interface PeerUploadsOptions {
  readonly getSegment: (sequenceNumber: number) => ArrayBuffer | undefined;
  readonly onUploaded: (bytes: number) => void;
  readonly pacer?: UploadPacer | undefined;
  readonly send: (message: PeerMessage) => void;
  readonly sendBytes: (bytes: Uint8Array) => void;
  readonly bufferedAmount: () => number;
  readonly closed: () => boolean;
}

// Above this many queued bytes on the data channel we wait before sending more: Chrome closes
// a channel whose send queue overflows (simple-peer's send() ignores backpressure).
const HIGH_WATER_BYTES = 1024 * 1024;
const BACKPRESSURE_POLL_MS = 5;

/** The segments one link is sending to its peer: response header, framed chunks, backpressure, cancel. */
export class PeerUploads {
  readonly #options: PeerUploadsOptions;
  readonly #active = new Set<number>();
  readonly #cancelled = new Set<number>();
  #sentBytes = 0;

  constructor(options: PeerUploadsOptions) {
    this.#options = options;
  }

  get sentBytes(): number {
    return this.#sentBytes;
  }

  /** Whether a request id is being served (a peer must not reuse it before it ends). */
  serving(requestId: number): boolean {
    return this.#active.has(requestId);
  }

  cancel(requestId: number): void {
    if (this.#active.has(requestId)) this.#cancelled.add(requestId);
  }

  async serve(requestId: number, sequenceNumber: number): Promise<void> {
    const data = this.#options.getSegment(sequenceNumber);
    if (data === undefined) {
      this.#options.send({ type: 'absent', requestId, sequenceNumber });
      return;
    }
    this.#active.add(requestId);
    try {
      await this.#sendChunks(requestId, sequenceNumber, new Uint8Array(data));
    } finally {
      this.#active.delete(requestId);
      this.#cancelled.delete(requestId);
    }
  }

  async #sendChunks(requestId: number, sequenceNumber: number, bytes: Uint8Array): Promise<void> {
    const { send, sendBytes, bufferedAmount, closed, pacer } = this.#options;
    const stopped = (): boolean => closed() || this.#cancelled.has(requestId);
    send({ type: 'response', requestId, sequenceNumber, byteLength: bytes.byteLength });
    const chunkBytes = Math.min(MAX_CHUNK_BYTES, Math.max(1, pacer?.chunkBytes ?? MAX_CHUNK_BYTES));
    for (let offset = 0; offset < bytes.byteLength; offset += chunkBytes) {
      while (!closed() && bufferedAmount() > HIGH_WATER_BYTES) {
        await new Promise((resolve) => setTimeout(resolve, BACKPRESSURE_POLL_MS));
      }
      if (stopped()) return;
      const chunk = bytes.subarray(offset, Math.min(offset + chunkBytes, bytes.byteLength));
      const delayMs = pacer?.delayMs(chunk.byteLength) ?? 0;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (stopped()) {
        // Unsent bytes must not delay the next upload (a cancelled slow transfer would otherwise
        // make this peer miss the next request's first-byte deadline too).
        pacer?.refund(chunk.byteLength);
        return;
      }
      sendBytes(encodeData(requestId, offset, chunk));
      this.#sentBytes += chunk.byteLength;
      this.#options.onUploaded(chunk.byteLength);
    }
  }
}
