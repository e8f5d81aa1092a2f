// What this session remembers about each remote peer, by peer id, across its connections and
// swarms: a peer banned for a bad segment stays banned when it reconnects with the same id, and
// strikes (broken promises: timeouts, unkept claims, too-slow transfers) add up over reconnects
// instead of starting clean; their cost is policy/peer-strikes.
import { addStrike, isIgnored, NO_STRIKES, type StrikeState } from '../policy/peer-strikes.ts';

/** Why a peer was banned, for events and logs. */
export interface PeerBan {
  readonly reason: string;
  readonly atMs: number;
}

/** One remote peer's record for this session. */
export interface PeerRecord {
  readonly peerId: string;
  ban: PeerBan | null;
  /** Broken promises so far, net of those forgiven (see `strike`), and the back-off they earned. */
  strikes: StrikeState;
  /** Connections refused because the peer is banned. */
  refusals: number;
}

// Records are small, but peer ids are chosen by strangers: bound how many we keep. A record that
// falls out is never a banned one while unbanned ones remain.
const MAX_RECORDS = 4096;

/** The per-session peer records shared by every swarm of one PeerCDN instance. */
export class PeerRecords {
  readonly #records = new Map<string, PeerRecord>();
  readonly #nowMs: () => number;
  #refusals = 0;
  #strikes = 0;

  constructor(nowMs: () => number) {
    this.#nowMs = nowMs;
  }

  /** The record of a peer, created on first use. */
  get(peerId: string): PeerRecord {
    let record = this.#records.get(peerId);
    if (record === undefined) {
      record = { peerId, ban: null, strikes: NO_STRIKES, refusals: 0 };
      this.#records.set(peerId, record);
      this.#trim();
    }
    return record;
  }

  isBanned(peerId: string): boolean {
    return this.#records.get(peerId)?.ban != null;
  }

  /** Whether a connection from this peer must be refused (it is banned); counts the refusal. */
  refuse(peerId: string): boolean {
    const record = this.#records.get(peerId);
    if (record?.ban == null) return false;
    record.refusals += 1;
    this.#refusals += 1;
    return true;
  }

  /** Connections refused from banned peers in this session. */
  get refusals(): number {
    return this.#refusals;
  }

  /** Ban a peer for the rest of the session; returns false when it already was. */
  ban(peerId: string, reason: string): boolean {
    const record = this.get(peerId);
    if (record.ban !== null) return false;
    record.ban = { reason, atMs: this.#nowMs() };
    return true;
  }

  /** Count one broken promise; returns the peer's strikes so far and whether it is now to be banned. */
  strike(peerId: string): { readonly strikes: number; readonly ban: boolean } {
    const record = this.get(peerId);
    const { ban, ...state } = addStrike(record.strikes, this.#nowMs());
    record.strikes = state;
    this.#strikes += 1;
    return { strikes: state.strikes, ban };
  }

  /** Whether a peer is in a strike back-off: not to be downloaded from (or waited for) now. */
  isIgnored(peerId: string): boolean {
    const record = this.#records.get(peerId);
    return record !== undefined && isIgnored(record.strikes, this.#nowMs());
  }

  /** Strikes counted in this session, all peers together. */
  get strikeCount(): number {
    return this.#strikes;
  }

  get bannedCount(): number {
    let count = 0;
    for (const record of this.#records.values()) if (record.ban !== null) count++;
    return count;
  }

  clear(): void {
    this.#records.clear();
  }

  // Drop the oldest records without a ban first (Map keeps insertion order).
  #trim(): void {
    if (this.#records.size <= MAX_RECORDS) return;
    for (const [peerId, record] of this.#records) {
      if (record.ban === null) {
        this.#records.delete(peerId);
        return;
      }
    }
    const oldest = this.#records.keys().next();
    if (oldest.done !== true) this.#records.delete(oldest.value);
  }
}
