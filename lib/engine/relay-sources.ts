import { RelaySource } from '../peer/relay-source.ts';
import { segmentKey } from './segment-cache.ts';

// Peer downloads relayed at once per instance (a viewer runs a few loaders at a time), and how long
// one may wait for its confirmation (hls.js appends a segment moments after it arrives) before it
// is given up: bounds on what a relay that never completes can hold.
const MAX_RELAYS = 16;
const MAX_UNCONFIRMED_MS = 30_000;

/**
 * The segments this viewer is receiving from peers and relays while they arrive, by swarm and
 * sequence number, until each is confirmed (then the cache serves it whole) or fails. Uploads that
 * already read one keep their reference to it.
 */
export class RelaySources {
  readonly #nowMs: () => number;
  readonly #relays = new Map<string, { readonly source: RelaySource; readonly startedAtMs: number }>();

  constructor(nowMs: () => number) {
    this.#nowMs = nowMs;
  }

  /** A peer download of this segment began with a header of `totalBytes`: a new relay source. */
  begin(swarmId: string, sequenceNumber: number, totalBytes: number): RelaySource {
    const nowMs = this.#nowMs();
    for (const [key, relay] of this.#relays)
      if (nowMs - relay.startedAtMs >= MAX_UNCONFIRMED_MS || this.#relays.size >= MAX_RELAYS) this.#drop(key);
    const key = segmentKey(swarmId, sequenceNumber);
    this.#drop(key);
    const source = new RelaySource(totalBytes);
    this.#relays.set(key, { source, startedAtMs: nowMs });
    return source;
  }

  get(swarmId: string, sequenceNumber: number): RelaySource | undefined {
    return this.#relays.get(segmentKey(swarmId, sequenceNumber))?.source;
  }

  /** The segment passed this viewer's checks (hash, or hls.js appended it): its last byte may go. */
  confirm(swarmId: string, sequenceNumber: number): void {
    const key = segmentKey(swarmId, sequenceNumber);
    this.#relays.get(key)?.source.confirm();
    this.#relays.delete(key);
  }

  /** The segment failed (transfer, checks, player): readers send `absent`. */
  fail(swarmId: string, sequenceNumber: number): void {
    this.#drop(segmentKey(swarmId, sequenceNumber));
  }

  clear(): void {
    for (const key of [...this.#relays.keys()]) this.#drop(key);
  }

  #drop(key: string): void {
    this.#relays.get(key)?.source.fail();
    this.#relays.delete(key);
  }
}
