import type { PeerMessage } from './peer-protocol.ts';

// A peer's "loading" claim is trusted this long; then we stop waiting for it.
const LOADING_CLAIM_MS = 10_000;
// A peer whose latest announced segment is within this many of ours is at our part of the stream.
const NEARBY_SEGMENTS = 3;
const NEARBY_FRESH_MS = 30_000;
// Bounds memory a misbehaving peer can make us spend on its claims.
const MAX_LOADING_CLAIMS = 256;

/** The messages that change what a peer offers (its hello's version is checked by the link first). */
export type AvailabilityMessage = Extract<PeerMessage, { type: 'hello' | 'have' | 'loading' | 'lost' }>;

/** What one remote peer announced: the segments it has, those it is loading, where in the stream it is. */
export class PeerAvailability {
  readonly #nowMs: () => number;
  readonly #have = new Set<number>();
  // Sequence number → when the peer said it is loading it.
  readonly #loading = new Map<number, number>();
  #latestSequenceNumber: number | null = null;
  #latestAtMs = 0;
  #introduced = false;

  constructor(nowMs: () => number) {
    this.#nowMs = nowMs;
  }

  /** Whether the peer's `hello` (its initial availability) has arrived. */
  get introduced(): boolean {
    return this.#introduced;
  }

  /** How many segments the peer has. */
  get size(): number {
    return this.#have.size;
  }

  /** The segment the peer last announced or asked for; null before any. */
  get latestSequenceNumber(): number | null {
    return this.#latestSequenceNumber;
  }

  has(sequenceNumber: number): boolean {
    return this.#have.has(sequenceNumber);
  }

  /**
   * What the peer offers for one segment: whether it has it, whether it is fetching it over HTTP
   * (a claim trusted for 10 s), whether it was lately at this part of the stream (a candidate seeder).
   */
  view(sequenceNumber: number): { readonly has: boolean; readonly loading: boolean; readonly nearby: boolean } {
    const nowMs = this.#nowMs();
    const loadingSinceMs = this.#loading.get(sequenceNumber);
    const latest = this.#latestSequenceNumber;
    return {
      has: this.#have.has(sequenceNumber),
      loading: loadingSinceMs !== undefined && nowMs - loadingSinceMs < LOADING_CLAIM_MS,
      nearby: latest !== null && Math.abs(latest - sequenceNumber) <= NEARBY_SEGMENTS && nowMs - this.#latestAtMs < NEARBY_FRESH_MS,
    };
  }

  /** Whether the peer has or is loading a segment that is not in `held`. */
  offersAnyBut(held: ReadonlySet<number>): boolean {
    for (const sn of this.#have) if (!held.has(sn)) return true;
    for (const sn of this.#loading.keys()) if (!held.has(sn)) return true;
    return false;
  }

  /** Apply an availability message from the peer. */
  apply(message: AvailabilityMessage): void {
    switch (message.type) {
      case 'hello':
        for (const sn of message.have) this.#have.add(sn);
        this.#introduced = true;
        return;
      case 'have':
        for (const sn of message.sequenceNumbers) {
          this.#have.add(sn);
          this.#loading.delete(sn);
          this.noteActivity(sn);
        }
        return;
      case 'loading':
        for (const sn of message.sequenceNumbers) {
          if (this.#loading.size >= MAX_LOADING_CLAIMS) this.#loading.clear();
          this.#loading.set(sn, this.#nowMs());
          this.noteActivity(sn);
        }
        return;
      case 'lost':
        for (const sn of message.sequenceNumbers) this.#have.delete(sn);
        return;
    }
  }

  /** The peer has this segment after all (it delivered it), or not (it answered `absent`). */
  setHas(sequenceNumber: number, has: boolean): void {
    if (has) this.#have.add(sequenceNumber);
    else this.#have.delete(sequenceNumber);
  }

  /** The peer announced or asked for this segment: it is at that part of the stream. */
  noteActivity(sequenceNumber: number): void {
    this.#latestSequenceNumber = sequenceNumber;
    this.#latestAtMs = this.#nowMs();
  }
}
