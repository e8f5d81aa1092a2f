// Per-connection announce rate limit: a token bucket per connection, refilled by the injected
// clock (no timers), so a flood is answered with failures while steady clients never notice.
import type { TrackerConnection } from './swarm.ts';

export interface RateLimitOptions {
  /** Sustained rate, in requests per second. */
  readonly ratePerSecond: number;
  /** Requests allowed back to back before the rate applies. */
  readonly burst: number;
  readonly nowMs: () => number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** One token bucket per connection; buckets go with their connections (weakly held). */
export class ConnectionRateLimiter {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #nowMs: () => number;
  readonly #buckets = new WeakMap<TrackerConnection, Bucket>();

  constructor(options: RateLimitOptions) {
    this.#ratePerMs = options.ratePerSecond / 1000;
    this.#burst = options.burst;
    this.#nowMs = options.nowMs;
  }

  /** Take one token for this connection; false when its bucket is empty (the request is refused). */
  take(connection: TrackerConnection): boolean {
    const nowMs = this.#nowMs();
    const bucket = this.#buckets.get(connection);
    if (bucket === undefined) {
      this.#buckets.set(connection, { tokens: this.#burst - 1, updatedMs: nowMs });
      return true;
    }
    // max(0, …): a clock that steps back must not drain the bucket.
    bucket.tokens = Math.min(this.#burst, bucket.tokens + Math.max(0, nowMs - bucket.updatedMs) * this.#ratePerMs);
    bucket.updatedMs = nowMs;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
