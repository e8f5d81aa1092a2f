// A token bucket per remote address (IPv6 per /64) on an injected clock, for requests that have
// no connection to hang a bucket on (beacons). The table is bounded: the least recently seen
// address is forgotten first, which at worst gives it a fresh burst.
import { addressKey } from './address-cap.ts';

export interface AddressRateLimitOptions {
  /** Sustained requests per second per address; 0 means no limit. */
  readonly ratePerSecond: number;
  /** Requests one address may send back to back. */
  readonly burst: number;
  /** Addresses remembered at once. */
  readonly maxAddresses: number;
  readonly nowMs: () => number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class AddressRateLimiter {
  readonly #options: AddressRateLimitOptions;
  // Insertion order is recency order: take() re-inserts the bucket it uses.
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: AddressRateLimitOptions) {
    this.#options = options;
  }

  /** Take one token for this address; false when its bucket is empty (refuse the request). */
  take(address: string): boolean {
    const { ratePerSecond, burst, maxAddresses } = this.#options;
    if (ratePerSecond === 0) return true;
    const nowMs = this.#options.nowMs();
    const key = addressKey(address);
    const bucket = this.#buckets.get(key) ?? { tokens: burst, updatedMs: nowMs };
    this.#buckets.delete(key);
    // max(0, …): a clock that steps back must not drain the bucket.
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, nowMs - bucket.updatedMs) * ratePerSecond) / 1000);
    bucket.updatedMs = nowMs;
    if (this.#buckets.size >= maxAddresses) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done !== true) this.#buckets.delete(oldest.value);
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  get addresses(): number {
    return this.#buckets.size;
  }
}
