// Limits on what one remote peer can make this viewer hold or do (js-libp2p's resource manager
// makes the same point: every limit explicit, named, documented). The README's "Limits on peers"
// table lists them; a peer that breaks one is disconnected with the reason (peer-closed event,
// error code `peer-protocol`).

/** A declared segment size is refused above this many times the largest segment seen so far. */
export const SEGMENT_SIZE_BOUND_FACTOR = 4;
/** The bound before any segment was measured (and its floor): room for high-bitrate renditions. */
export const MIN_SEGMENT_SIZE_BOUND_BYTES = 8 * 1024 * 1024;
/** Absolute cap on a declared segment size, whatever was measured. */
export const MAX_SEGMENT_SIZE_BOUND_BYTES = 32 * 1024 * 1024;
/** Segment numbers remembered per peer (its `have` set); more are ignored. */
export const MAX_REMOTE_AVAILABILITY_ENTRIES = 4096;
/** Control messages per second from one peer, and the burst above it; more is a flood. */
export const CONTROL_MESSAGES_PER_SECOND = 50;
export const CONTROL_MESSAGE_BURST = 200;
/** Downloads this viewer runs from one peer at once (an honest uploader serves one at a time). */
export const MAX_DOWNLOADS_PER_PEER = 4;
/**
 * Bytes held by all unfinished or failed-and-kept peer downloads of one instance together, at
 * least: twice the declared-size bound for the origin's largest segment when that is more
 * (`receiveBudgetBytes`), so a segment as large as the stream's always fits, with room for another.
 */
export const RECEIVE_BUDGET_BYTES = 16 * 1024 * 1024;

/** The largest size a peer may declare for a segment, from the largest segment seen (null: none yet). */
export function segmentSizeBoundBytes(largestSeenBytes: number | null): number {
  const measured = largestSeenBytes === null ? 0 : largestSeenBytes * SEGMENT_SIZE_BOUND_FACTOR;
  return Math.min(MAX_SEGMENT_SIZE_BOUND_BYTES, Math.max(MIN_SEGMENT_SIZE_BOUND_BYTES, measured));
}

/** The receive budget for the origin's largest segment (null: none yet): 16 MiB, up to 64 MiB for large segments. */
export function receiveBudgetBytes(largestSeenBytes: number | null): number {
  return Math.max(RECEIVE_BUDGET_BYTES, 2 * segmentSizeBoundBytes(largestSeenBytes));
}

/** One byte budget shared by every partial peer download of an instance. */
export class ReceiveBudget {
  readonly #limitBytes: () => number;
  #usedBytes = 0;

  /** `limitBytes`: the budget, read at each reservation (it may grow with the stream's segments). */
  constructor(limitBytes: () => number = () => RECEIVE_BUDGET_BYTES) {
    this.#limitBytes = limitBytes;
  }

  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** Take `bytes` from the budget; false (nothing taken) when that would exceed it. */
  reserve(bytes: number): boolean {
    if (this.#usedBytes + bytes > this.#limitBytes()) return false;
    this.#usedBytes += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#usedBytes = Math.max(0, this.#usedBytes - bytes);
  }
}

/**
 * What peers may declare and make this instance hold, from the segment sizes it has seen: the
 * declared-size bound follows every segment, the receive budget only the origin's (a peer's padded
 * segment must not raise it).
 */
export class SegmentSizeLimits {
  #largestBytes: number | null = null;
  #largestOriginBytes: number | null = null;
  /** The budget shared by every partial peer download. */
  readonly receiveBudget = new ReceiveBudget(() => receiveBudgetBytes(this.#largestOriginBytes));

  /** A segment of `bytes` was loaded; `fromOrigin` when every byte came over HTTP. */
  seen(bytes: number, fromOrigin: boolean): void {
    this.#largestBytes = Math.max(this.#largestBytes ?? 0, bytes);
    if (fromOrigin) this.#largestOriginBytes = Math.max(this.#largestOriginBytes ?? 0, bytes);
  }

  /** The largest size a peer may declare for a segment now. */
  boundBytes(): number {
    return segmentSizeBoundBytes(this.#largestBytes);
  }
}

/**
 * Received chunks as one buffer of `byteLength` (a lone chunk's own buffer when it spans all of
 * it; else a copy). Chunks are kept as they arrive and joined once at the end, so memory grows with
 * what was received, never with what a peer declared (a header claiming 32 MiB followed by silence
 * costs nothing).
 */
export function joinChunks(parts: readonly Uint8Array[], byteLength: number): ArrayBuffer {
  const [first] = parts;
  if (parts.length === 1 && first?.byteLength === byteLength && byteLength === first.buffer.byteLength)
    return first.buffer as ArrayBuffer;
  const joined = new Uint8Array(byteLength);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined.buffer;
}
