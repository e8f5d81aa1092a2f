// After a `busy` answer the peer is not asked for this long, doubling with each `busy` in a row...
const BUSY_BACKOFF_MS = 1000;
const MAX_BUSY_BACKOFF_MS = 8000;
// ...and it is waited for (as a seeder) only for its first few `busy` answers in a row: a peer that
// claims everything and is always busy would otherwise delay every load.
const MAX_BUSY_ANSWERS_WAITED_FOR = 2;

/**
 * A peer's `busy` answers (its uplink was full): how long it is not asked, and whether loads wait
 * for it meanwhile. A delivered segment starts the count again. `onEnd` is called when a back-off
 * ends (waiting loaders decide again then). The timer is the clock: it alone ends a back-off.
 */
export class BusyBackoff {
  readonly #onEnd: () => void;
  #timer: ReturnType<typeof setTimeout> | null = null;
  // `busy` answers since the peer last delivered a segment.
  #inARow = 0;

  constructor(onEnd: () => void) {
    this.#onEnd = onEnd;
  }

  /** In a back-off now: the peer is not asked. */
  get backingOff(): boolean {
    return this.#timer !== null;
  }

  /** In a back-off that loads wait out (not after too many `busy` answers in a row). */
  get waitedFor(): boolean {
    return this.#timer !== null && this.#inARow <= MAX_BUSY_ANSWERS_WAITED_FOR;
  }

  /** The peer answered `busy`: a back-off starts (1 s, doubling per answer in a row, at most 8 s). */
  refused(): void {
    this.#inARow += 1;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const backoffMs = Math.min(MAX_BUSY_BACKOFF_MS, BUSY_BACKOFF_MS * 2 ** (this.#inARow - 1));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#onEnd();
    }, backoffMs);
  }

  /** The peer delivered a segment: its next `busy` is waited for again. */
  delivered(): void {
    this.#inARow = 0;
  }

  /** Clear the timer; `onEnd` is not called. Idempotent. */
  destroy(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
