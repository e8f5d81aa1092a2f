/**
 * A segment this viewer is still receiving from a peer, served to other peers as it arrives
 * (cut-through relay). Its last byte is held back until this viewer has confirmed the whole
 * segment (hash verified, or appended by hls.js: the condition under which it would announce
 * `have`), so a downstream peer can never complete a segment its relay did not vouch for. When the
 * relay's own transfer fails or its checks do, `fail()`: the uploads reading it send `absent`.
 */
export class RelaySource {
  readonly totalBytes: number;
  #state: 'receiving' | 'confirmed' | 'failed' = 'receiving';
  // The received chunks as they arrived (views kept, not copied) and where each starts.
  readonly #chunks: Uint8Array[] = [];
  readonly #chunkStarts: number[] = [];
  #receivedBytes = 0;
  readonly #waiters = new Set<() => void>();

  constructor(totalBytes: number) {
    this.totalBytes = totalBytes;
  }

  /** A segment held whole (confirmed): what an upload of a cached segment reads. */
  static whole(bytes: Uint8Array): RelaySource {
    const source = new RelaySource(bytes.byteLength);
    source.append(bytes);
    source.#state = 'confirmed';
    return source;
  }

  get failed(): boolean {
    return this.#state === 'failed';
  }

  /** Bytes an upload may send now: all received ones but the last byte until confirmed. */
  get sendableBytes(): number {
    if (this.#state === 'failed') return 0;
    return this.#state === 'confirmed' ? this.#receivedBytes : Math.min(this.#receivedBytes, this.totalBytes - 1);
  }

  /** The next chunk in order (the download checked order and bounds); ignored once failed or beyond the total. */
  append(chunk: Uint8Array): void {
    if (this.#state === 'failed' || chunk.byteLength === 0) return;
    if (this.#receivedBytes + chunk.byteLength > this.totalBytes) {
      this.fail();
      return;
    }
    this.#chunks.push(chunk);
    this.#chunkStarts.push(this.#receivedBytes);
    this.#receivedBytes += chunk.byteLength;
    this.#wake();
  }

  /** The whole segment arrived and this viewer vouches for it: the held byte may go. */
  confirm(): void {
    if (this.#state !== 'receiving' || this.#receivedBytes !== this.totalBytes) return;
    this.#state = 'confirmed';
    this.#wake();
  }

  /** The transfer or its checks failed: readers stop (their peers get `absent`). Idempotent; none once confirmed. */
  fail(): void {
    if (this.#state !== 'receiving') return;
    this.#state = 'failed';
    this.#chunks.length = 0;
    this.#chunkStarts.length = 0;
    this.#wake();
  }

  /** Up to `maxBytes` bytes from `offsetBytes` (within one received chunk; fewer near its end), a view. */
  read(offsetBytes: number, maxBytes: number): Uint8Array {
    const end = Math.min(offsetBytes + maxBytes, this.sendableBytes);
    if (offsetBytes >= end) return new Uint8Array(0);
    // The last chunk starting at or before the offset (binary search over the starts).
    let low = 0;
    let high = this.#chunkStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.#chunkStarts[middle] as number) <= offsetBytes) low = middle;
      else high = middle - 1;
    }
    const start = this.#chunkStarts[low] as number;
    const chunk = this.#chunks[low] as Uint8Array;
    return chunk.subarray(offsetBytes - start, Math.min(chunk.byteLength, end - start));
  }

  /** Call `wake` once at the next change (bytes, confirmation, failure); returns the unsubscribe. */
  onChange(wake: () => void): () => void {
    this.#waiters.add(wake);
    return () => this.#waiters.delete(wake);
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}
