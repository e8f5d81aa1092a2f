// Which offers the tracker relayed to each connection, so that an answer is relayed only for an
// offer its sender was actually sent, and only once. Without this any client could push answers
// (SDP the victim's browser then acts on) for offers it never saw, or replay one answer many times.
import type { TrackerConnection } from './swarm.ts';

/**
 * How long a relayed offer may be answered. bittorrent-tracker's client drops offers unanswered
 * after 50 s (ours after 20 s); an answer later than this finds no offer waiting for it anyway.
 */
export const RELAYED_OFFER_TTL_MS = 60_000;
/**
 * Offers remembered per connection; the oldest is forgotten beyond it. An honest viewer receives
 * about 5 offers per joining neighbour; 256 within one TTL is far above that even for a socket
 * shared by several players, and bounds what one connection costs (~100 bytes an entry).
 */
export const MAX_RELAYED_OFFERS_PER_CONNECTION = 256;

/** Why an answer finds no offer to answer. */
export type UnrelayedAnswerReason = 'not-relayed' | 'expired';

export interface RelayedOffersOptions {
  readonly ttlMs?: number;
  readonly maxPerConnection?: number;
}

/**
 * The key of one relayed offer: swarm, offering peer and offer id. Wire ids are 20 characters
 * each (the parser checks), so plain concatenation cannot make two triples collide.
 */
export const relayedOfferKey = (infoHash: string, fromPeerId: string, offerId: string): string =>
  infoHash + fromPeerId + offerId;

/** Per-connection memory of relayed offers: Maps in relay order (oldest first), made on first use and dropped when empty. */
export class RelayedOffers {
  readonly #ttlMs: number;
  readonly #maxPerConnection: number;
  readonly #byConnection = new Map<TrackerConnection, Map<string, number>>();
  /** Entries forgotten because a connection held too many (counted for /metrics). */
  evicted = 0;
  /** Entries that expired unanswered and were pruned. */
  expiredUnanswered = 0;

  constructor(options: RelayedOffersOptions = {}) {
    this.#ttlMs = options.ttlMs ?? RELAYED_OFFER_TTL_MS;
    this.#maxPerConnection = options.maxPerConnection ?? MAX_RELAYED_OFFERS_PER_CONNECTION;
  }

  /** Remember that the offer `key` was sent to `connection` at `nowMs`. */
  record(connection: TrackerConnection, key: string, nowMs: number): void {
    let offers = this.#byConnection.get(connection);
    if (offers === undefined) {
      offers = new Map();
      this.#byConnection.set(connection, offers);
    } else {
      this.#prune(offers, nowMs);
      // The same offer relayed again moves to the end (Map order stays relay order).
      offers.delete(key);
    }
    offers.set(key, nowMs);
    if (offers.size > this.#maxPerConnection) {
      offers.delete(offers.keys().next().value as string);
      this.evicted += 1;
    }
  }

  /**
   * Consume the offer `key` for an answer from `connection`: null when it may be relayed, else why
   * not. `offererJoinedMs`: when the peer now holding the offerer's id joined; an offer relayed
   * before that came from an earlier holder, and its answer is not this one's.
   */
  take(
    connection: TrackerConnection,
    key: string,
    nowMs: number,
    offererJoinedMs = -Infinity,
  ): UnrelayedAnswerReason | null {
    const offers = this.#byConnection.get(connection);
    const relayedAtMs = offers?.get(key);
    if (offers === undefined || relayedAtMs === undefined) return 'not-relayed';
    offers.delete(key);
    if (offers.size === 0) this.#byConnection.delete(connection);
    if (relayedAtMs < offererJoinedMs) return 'not-relayed';
    return nowMs - relayedAtMs > this.#ttlMs ? 'expired' : null;
  }

  /** The connection is gone. Idempotent. */
  forget(connection: TrackerConnection): void {
    this.#byConnection.delete(connection);
  }

  /** Offers remembered for this connection (tests and debugging). */
  heldBy(connection: TrackerConnection): number {
    return this.#byConnection.get(connection)?.size ?? 0;
  }

  /** Drop the expired entries at the front: O(expired), the rest are younger. */
  #prune(offers: Map<string, number>, nowMs: number): void {
    for (const [key, relayedAtMs] of offers) {
      if (nowMs - relayedAtMs <= this.#ttlMs) return;
      offers.delete(key);
      this.expiredUnanswered += 1;
    }
  }
}
