// Redis commands a node has sent and not yet had answered, bounded. The core never waits on Redis,
// so while Redis hangs (before the PING probe calls the link lost) nothing slows down, but every
// announce would still leave one more command waiting on the hung connection. Past
// `maxPending`, commands are shed (counted) instead: the peer is served from memory as in an
// outage and is written to Redis again at its next announce, or by the re-add once the link is back.

export class PendingCommands {
  readonly #maxPending: number;
  #pending = 0;
  #shed = 0;

  constructor(maxPending: number) {
    this.#maxPending = maxPending;
  }

  /** Commands sent and not yet settled. */
  get pending(): number {
    return this.#pending;
  }

  /** Commands not sent because `maxPending` were waiting already. */
  get shed(): number {
    return this.#shed;
  }

  /** Send unless `maxPending` commands are waiting; null when shed. The returned promise settles as `send`'s does. */
  run<T>(send: () => Promise<T>): Promise<T> | null {
    if (this.#pending >= this.#maxPending) {
      this.#shed += 1;
      return null;
    }
    this.#pending += 1;
    return send().finally(() => {
      this.#pending -= 1;
    });
  }
}

/**
 * Call `each` for every item with at most `concurrency` calls unsettled at once (re-adding
 * thousands of local peers after an outage must not put thousands of commands in flight).
 * Resolves with the number of items once all settled; a rejection stops nothing and is left to `each`.
 */
export async function forEachBounded<T>(
  items: Iterable<T>,
  concurrency: number,
  each: (item: T) => Promise<void>,
): Promise<number> {
  const iterator = items[Symbol.iterator]();
  let count = 0;
  const lane = async (): Promise<void> => {
    for (let next = iterator.next(); next.done !== true; next = iterator.next()) {
      count += 1;
      await each(next.value).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return count;
}
