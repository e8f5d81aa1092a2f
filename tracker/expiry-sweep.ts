// The expiry sweep on a timer, in slices: one event-loop turn removes at most `peersPerTurn` silent
// peers and the sweep goes on in the next turns (setImmediate: sockets are served in between) until
// no expired peer is left. Peers expiring together (a network cut, a big site's viewers leaving at
// once) would otherwise be removed in one turn: 1,000,000 peers took 630 ms, with every socket
// waiting; in turns of 10,000 a turn takes about 6 ms.

/** Peers one event-loop turn of a sweep removes at most. */
export const SWEEP_PEERS_PER_TURN = 10_000;

export class ExpirySweep {
  readonly #sweep: (maxPeers: number) => number;
  readonly #onSwept: (expired: number) => void;
  readonly #peersPerTurn: number;
  readonly #timer: NodeJS.Timeout;
  /** The next turn of the sweep under way, if one is. */
  #next: NodeJS.Immediate | null = null;
  /** Peers the sweep under way removed so far. */
  #expired = 0;
  #closed = false;

  /**
   * Sweep every `intervalMs` with `sweep` (the core's: removes at most its argument, returns how
   * many); `onSwept` hears how many peers each whole sweep removed.
   */
  constructor(
    sweep: (maxPeers: number) => number,
    intervalMs: number,
    onSwept: (expired: number) => void,
    peersPerTurn = SWEEP_PEERS_PER_TURN,
  ) {
    this.#sweep = sweep;
    this.#onSwept = onSwept;
    this.#peersPerTurn = peersPerTurn;
    this.#timer = setInterval(() => this.run(), intervalMs);
  }

  /** Start a sweep now, unless one is under way or the sweep is closed (the timer calls this). */
  run(): void {
    if (this.#next === null && !this.#closed) this.#turn();
  }

  /** Stop the timer and the sweep under way. Idempotent. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#next !== null) clearImmediate(this.#next);
    this.#next = null;
  }

  #turn(): void {
    this.#next = null;
    const swept = this.#sweep(this.#peersPerTurn);
    this.#expired += swept;
    if (swept >= this.#peersPerTurn) {
      this.#next = setImmediate(() => this.#turn());
      return;
    }
    const expired = this.#expired;
    this.#expired = 0;
    this.#onSwept(expired);
  }
}
