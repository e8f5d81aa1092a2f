/**
 * A token bucket on an injected clock: `ratePerSecond` tokens a second, at most `burst` saved up.
 * Used for the per-peer message and request rate limits.
 */
export class TokenBucket {
  readonly #ratePerSecond: number;
  readonly #burst: number;
  #tokens: number;
  #lastMs: number;

  constructor(ratePerSecond: number, burst: number, nowMs: number) {
    this.#ratePerSecond = ratePerSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#lastMs = nowMs;
  }

  /** Take `count` tokens at `nowMs`; false (and nothing taken) when there are not enough. */
  take(count: number, nowMs: number): boolean {
    const elapsedMs = Math.max(0, nowMs - this.#lastMs);
    this.#lastMs = Math.max(this.#lastMs, nowMs);
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsedMs / 1000) * this.#ratePerSecond);
    if (this.#tokens < count) return false;
    this.#tokens -= count;
    return true;
  }
}
