import { joinChunks } from '../peer/peer-limits.ts';
import type { RelaySource } from '../peer/relay-source.ts';

/**
 * The bytes of one HTTP segment load as hls.js's loader reports them through `onProgress`: a
 * streaming loader (hls.js's FetchLoader) gives chunks as they arrive and ends with an empty
 * response, the XHR loader gives the whole once. While a segment streams in, it is relayed to our
 * peers (its bytes are our origin's: the relay completes when the load succeeds, and fails
 * otherwise); at the end it is joined for the cache. A chunk that does not continue the bytes so far
 * (the loader's running count says otherwise: a retry on another origin) starts over.
 */
export class HttpChunks {
  readonly #beginRelay: (totalBytes: number) => RelaySource | null;
  #parts: Uint8Array[] = [];
  #bytes = 0;
  #relay: RelaySource | null = null;

  /** `beginRelay`: a relay for a segment of `totalBytes` (null when this viewer does not upload). */
  constructor(beginRelay: (totalBytes: number) => RelaySource | null) {
    this.#beginRelay = beginRelay;
  }

  /**
   * A chunk arrived. `loadedBytes` is the loader's running count including it, `totalBytes` the
   * response's declared length (0 when unknown); `copy` when the chunk goes on to hls.js, which may
   * hand it to its transmux worker (detaching it).
   */
  add(chunk: ArrayBuffer, loadedBytes: number, totalBytes: number, copy: boolean): void {
    if (chunk.byteLength === 0) return;
    if (loadedBytes !== this.#bytes + chunk.byteLength) {
      this.#relay?.fail();
      this.#relay = null;
      this.#parts = [];
      this.#bytes = 0;
      if (loadedBytes !== chunk.byteLength) return;
    }
    const bytes = new Uint8Array(copy ? chunk.slice(0) : chunk);
    // Worth relaying only while more is to come.
    if (this.#bytes === 0 && totalBytes > bytes.byteLength) this.#relay = this.#beginRelay(totalBytes);
    this.#parts.push(bytes);
    this.#bytes += bytes.byteLength;
    this.#relay?.append(bytes);
  }

  /** The segment: the response's data, or after a streaming loader's empty end the chunks joined. */
  whole(data: ArrayBuffer): ArrayBuffer {
    const parts = this.#parts;
    this.#parts = [];
    return data.byteLength > 0 || this.#bytes === 0 ? data : joinChunks(parts, this.#bytes);
  }

  /** The load succeeded: the relay completes (if it got every byte; else it fails). */
  loadSucceeded(): void {
    this.#relay?.confirm();
    this.#relay?.fail();
  }

  /** The load failed, timed out or was stopped: peers reading the relay get `absent`. */
  stop(): void {
    this.#relay?.fail();
    this.#parts = [];
  }
}
