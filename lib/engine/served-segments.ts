import type { RelaySource } from '../peer/relay-source.ts';
import { RelaySources } from './relay-sources.ts';
import { segmentKey, type SegmentCache } from './segment-cache.ts';

/** What became of a segment handed to hls.js, as `ServedSegments.loaded` weighs it. */
export interface LoadedSegment {
  readonly swarmId: string;
  readonly sequenceNumber: number;
  /** The cache took it. */
  readonly stored: boolean;
  /** The cache did not have it before. */
  readonly isNew: boolean;
  /** It came (partly) from a peer. */
  readonly fromPeer: boolean;
  /** A hash manifest vouched for it. */
  readonly verified: boolean;
  /**
   * The peer that answers for its bytes (blamed if hls.js fails on it); null for HTTP, or for a
   * relay's bytes resumed over HTTP before the relay vouched for them (still held back until appended).
   */
  readonly sender: string | null;
}

// Bounds on what strangers can make us remember (a segment stays unconfirmed only briefly).
const MAX_UNCONFIRMED = 512;
const MAX_HTTP_ONLY = 512;

/**
 * What this viewer may serve its peers, and when: a segment from a peer is served whole, and its
 * relay (served while it arrived) completes, only once it passed this viewer's checks — its hash,
 * or (no hash manifest) hls.js appended it (FRAG_BUFFERED). Until then it is unconfirmed: kept for
 * our own playback, neither announced nor uploaded. A segment hls.js fails on is dropped, blamed on
 * the peer that sent it and loaded over HTTP next time. A viewer thus relays only what passed every
 * check it could make, so an honest relay is never the one blamed for a hostile peer's bytes.
 */
export class ServedSegments {
  readonly #cache: SegmentCache;
  // The peer that answers for each unconfirmed segment (null: nobody), by key; the keys to load over HTTP next time.
  readonly #senders = new Map<string, string | null>();
  readonly #httpOnly = new Set<string>();
  // Peer downloads relayed to other peers while they arrive, until confirmed.
  readonly #relays: RelaySources;

  constructor(cache: SegmentCache, nowMs: () => number) {
    this.#cache = cache;
    this.#relays = new RelaySources(nowMs);
  }

  /** The sequence numbers of a swarm that peers may be told of (cached and confirmed). */
  held(swarmId: string): number[] {
    return this.#cache.sequenceNumbers(swarmId).filter((n) => !this.isUnconfirmed(swarmId, n));
  }

  /** A whole segment peers may download, if cached and confirmed. */
  whole(swarmId: string, sequenceNumber: number): ArrayBuffer | undefined {
    return this.isUnconfirmed(swarmId, sequenceNumber) ? undefined : this.#cache.get(swarmId, sequenceNumber)?.data;
  }

  /** A segment being relayed while it arrives. */
  relay(swarmId: string, sequenceNumber: number): RelaySource | undefined {
    return this.#relays.get(swarmId, sequenceNumber);
  }

  /** A peer download began with a header of `totalBytes`: relay it while it arrives. */
  beginRelay(swarmId: string, sequenceNumber: number, totalBytes: number): RelaySource {
    return this.#relays.begin(swarmId, sequenceNumber, totalBytes);
  }

  /** Awaiting hls.js's append before it may be served. */
  isUnconfirmed(swarmId: string, sequenceNumber: number): boolean {
    return this.#senders.has(segmentKey(swarmId, sequenceNumber));
  }

  /**
   * A segment was handed to hls.js. Returns whether peers may be told of it now (`have`); a peer
   * segment no hash vouched for waits for `buffered`.
   */
  loaded(segment: LoadedSegment): boolean {
    const { swarmId, sequenceNumber, stored, fromPeer, verified, sender } = segment;
    const awaitsAppend = stored && fromPeer && !verified;
    if (awaitsAppend) {
      this.#senders.set(segmentKey(swarmId, sequenceNumber), sender);
      // One no longer tracked leaves the cache: never confirmed, so never served or announced.
      for (const key of trim(this.#senders, MAX_UNCONFIRMED)) this.#cache.remove(key);
    }
    if (verified) this.#relays.confirm(swarmId, sequenceNumber);
    else if (!stored || !fromPeer) this.#relays.fail(swarmId, sequenceNumber);
    return !awaitsAppend && stored && segment.isNew;
  }

  /** hls.js appended a segment. Returns whether it was unconfirmed (and may be announced now). */
  buffered(swarmId: string, sequenceNumber: number): boolean {
    if (!this.#senders.delete(segmentKey(swarmId, sequenceNumber))) return false;
    this.#relays.confirm(swarmId, sequenceNumber);
    return true;
  }

  /**
   * hls.js could not parse or append a segment: its relay fails; if it was an unconfirmed peer
   * segment it leaves the cache, its next load uses HTTP, and the peer that answers for it is
   * returned (null: none, as for a relay's bytes it had not vouched for).
   */
  failedInPlayer(swarmId: string, sequenceNumber: number): string | null {
    this.#relays.fail(swarmId, sequenceNumber);
    const key = segmentKey(swarmId, sequenceNumber);
    if (!this.#senders.has(key)) return null;
    const sender = this.#senders.get(key) ?? null;
    this.#senders.delete(key);
    this.#httpOnly.add(key);
    trim(this.#httpOnly, MAX_HTTP_ONLY);
    this.#cache.remove(key);
    return sender;
  }

  /** Whether the next load of this segment must use HTTP (asked once: the mark is then cleared). */
  takeHttpOnly(swarmId: string, sequenceNumber: number): boolean {
    return this.#httpOnly.delete(segmentKey(swarmId, sequenceNumber));
  }

  /** Relays in progress end (their readers get `absent`). */
  stopRelays(): void {
    this.#relays.clear();
  }

  clear(): void {
    this.#senders.clear();
    this.#httpOnly.clear();
    this.#relays.clear();
  }
}

// Forget the oldest entries beyond `max` (insertion order); returns their keys.
function trim(collection: Map<string, unknown> | Set<string>, max: number): string[] {
  const forgotten: string[] = [];
  for (const key of collection.keys()) {
    if (collection.size <= max) break;
    collection.delete(key);
    forgotten.push(key);
  }
  return forgotten;
}
