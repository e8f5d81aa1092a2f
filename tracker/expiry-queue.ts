// Items in the order they were last touched, so a sweep visits only what expired.

/**
 * A Map keeps insertion order: touching re-inserts an item at the end, so the oldest come first
 * and a sweep stops at the first fresh one — O(expired), not O(all peers). Assumes the clock
 * passed to `touch` never goes backwards (the server uses a monotonic clock).
 */
export class ExpiryQueue<T> {
  readonly #touchedAtMs = new Map<T, number>();

  get size(): number {
    return this.#touchedAtMs.size;
  }

  touch(item: T, nowMs: number): void {
    this.#touchedAtMs.delete(item);
    this.#touchedAtMs.set(item, nowMs);
  }

  delete(item: T): void {
    this.#touchedAtMs.delete(item);
  }

  /** Items last touched before `beforeMs`, oldest first, at most `maxItems`; they stay queued until deleted. */
  expired(beforeMs: number, maxItems = Infinity): T[] {
    const out: T[] = [];
    for (const [item, touchedAtMs] of this.#touchedAtMs) {
      if (touchedAtMs >= beforeMs || out.length >= maxItems) break;
      out.push(item);
    }
    return out;
  }
}
