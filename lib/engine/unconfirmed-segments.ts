// Segments from peers that no hash manifest vouched for: handed to hls.js and kept for our own
// playback, but neither announced (`have`) nor uploaded until hls.js parsed and appended them
// (FRAG_BUFFERED). If hls.js fails on one, the peer that sent it is to blame and the segment is
// refetched over HTTP. A viewer thus relays only what passed every check it could make, so an
// honest relay is never the one blamed for a hostile peer's bytes.

// Bounds on what strangers can make us remember (a segment stays unconfirmed only briefly).
const MAX_UNCONFIRMED = 512;
const MAX_HTTP_ONLY = 512;

const keyOf = (swarmId: string, sequenceNumber: number): string => `${swarmId}/${sequenceNumber}`;

/** Which peer sent each unconfirmed segment, and which segments must come over HTTP next time. */
export class UnconfirmedSegments {
  readonly #senders = new Map<string, string>();
  readonly #httpOnly = new Set<string>();

  /** A segment from `peerId` went to hls.js unverified. */
  add(swarmId: string, sequenceNumber: number, peerId: string): void {
    this.#senders.set(keyOf(swarmId, sequenceNumber), peerId);
    trim(this.#senders, MAX_UNCONFIRMED);
  }

  has(swarmId: string, sequenceNumber: number): boolean {
    return this.#senders.has(keyOf(swarmId, sequenceNumber));
  }

  /** hls.js appended it: it may be announced and uploaded now. Returns whether it was unconfirmed. */
  confirm(swarmId: string, sequenceNumber: number): boolean {
    return this.#senders.delete(keyOf(swarmId, sequenceNumber));
  }

  /**
   * hls.js could not parse or append it: forget it, and load it over HTTP next time. Returns the
   * peer that sent it, or null when it was not an unconfirmed peer segment.
   */
  reject(swarmId: string, sequenceNumber: number): string | null {
    const key = keyOf(swarmId, sequenceNumber);
    const peerId = this.#senders.get(key);
    if (peerId === undefined) return null;
    this.#senders.delete(key);
    this.#httpOnly.add(key);
    trim(this.#httpOnly, MAX_HTTP_ONLY);
    return peerId;
  }

  /** Whether the next load of this segment must use HTTP (asked once: the mark is then cleared). */
  takeHttpOnly(swarmId: string, sequenceNumber: number): boolean {
    return this.#httpOnly.delete(keyOf(swarmId, sequenceNumber));
  }

  clear(): void {
    this.#senders.clear();
    this.#httpOnly.clear();
  }
}

function trim(collection: Map<string, unknown> | Set<string>, max: number): void {
  while (collection.size > max) {
    const oldest = collection.keys().next();
    if (oldest.done === true) return;
    collection.delete(oldest.value);
  }
}
