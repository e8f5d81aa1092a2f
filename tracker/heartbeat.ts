// WebSocket heartbeat without sockets or timers: the server calls tick() every slice, a test calls
// it with a fake clock. Each target is pinged about once per period, spread over the period in
// slices so that 20,000 pings never go out in one burst; a target whose ping stays unanswered
// for half a period or more when its turn comes again is declared dead. A target that completed a
// frame since its last visit is alive by that alone and is not pinged (bytes of an unfinished frame
// do not count: a client trickling one could never answer the ping): in a busy swarm most
// sockets speak often (announces, answers), and each ping and pong was one more system call on
// each side (a swarm of 10,000 took 333 of each per second at a 30 s period).
//
// The version before this one started the next round as soon as a round ended, so with N sockets
// each was pinged every (N + 1) × slice instead of every period (issue 11): a single viewer was
// pinged twice a second and dropped after a 1.9 s stall of its tab.

/** What the heartbeat needs of a connection. */
export interface HeartbeatTarget {
  /** When the unanswered ping was sent; -1 when none is outstanding. Set by the heartbeat, cleared by pong(). */
  pingSentMs: number;
  /** Set by the target whenever the client completed a frame; the heartbeat clears it at each visit. */
  heard: boolean;
  ping(): void;
}

export interface HeartbeatOptions<T extends HeartbeatTarget> {
  readonly periodMs: number;
  /** How often tick() is called; each call pings its share of the targets. */
  readonly sliceMs: number;
  /** A target that missed its pong: the caller terminates it (and deletes it here, as for any close). */
  readonly onDead: (target: T) => void;
}

export class Heartbeat<T extends HeartbeatTarget> {
  readonly #periodMs: number;
  readonly #sliceMs: number;
  readonly #onDead: (target: T) => void;
  readonly #targets = new Set<T>();
  /** Position in the current round; null between rounds (a parked iterator would pin the Set's old table). */
  #cursor: Iterator<T> | null = null;
  #roundStartMs = -Infinity;
  /** Targets visited in the current round. */
  #visited = 0;

  constructor(options: HeartbeatOptions<T>) {
    this.#periodMs = options.periodMs;
    this.#sliceMs = options.sliceMs;
    this.#onDead = options.onDead;
  }

  get size(): number {
    return this.#targets.size;
  }

  add(target: T): void {
    target.pingSentMs = -1;
    target.heard = false;
    this.#targets.add(target);
  }

  delete(target: T): void {
    this.#targets.delete(target);
  }

  /** The target's pong arrived. */
  static pong(target: HeartbeatTarget): void {
    target.pingSentMs = -1;
  }

  /**
   * One slice: a round starts once per period; within it, targets are visited in insertion order
   * so that by `roundStart + elapsed` the share `elapsed / (period - slice)` of them has been visited
   * (the last ones one slice before the period ends, so a round never spills into the next).
   */
  tick(nowMs: number): void {
    if (this.#cursor === null) {
      if (nowMs - this.#roundStartMs < this.#periodMs || this.#targets.size === 0) return;
      this.#roundStartMs = nowMs;
      this.#visited = 0;
      this.#cursor = this.#targets.values();
    }
    const spreadMs = Math.max(this.#sliceMs, this.#periodMs - this.#sliceMs);
    const share = Math.min(1, (nowMs - this.#roundStartMs + this.#sliceMs) / spreadMs);
    // Sockets that joined during the round are visited too (the Set iterator sees them).
    const due = Math.ceil(this.#targets.size * share);
    while (this.#visited < due || share === 1) {
      const next = this.#cursor.next();
      if (next.done === true) {
        this.#cursor = null;
        return;
      }
      this.#visited += 1;
      this.#visit(next.value, nowMs);
    }
  }

  #visit(target: T, nowMs: number): void {
    if (target.heard) {
      // It spoke since the last visit (a pong counts too): alive, no ping needed this round.
      target.heard = false;
      target.pingSentMs = -1;
      return;
    }
    if (target.pingSentMs >= 0) {
      // Sockets leaving the round move the others forward, so a visit can come early: a pong
      // always gets half a period (the previous ping is left running when it is younger).
      if (nowMs - target.pingSentMs < this.#periodMs / 2) return;
      this.#targets.delete(target);
      this.#onDead(target);
      return;
    }
    target.pingSentMs = nowMs;
    target.ping();
  }

  /** Forget every target and the round. Idempotent. */
  destroy(): void {
    this.#targets.clear();
    this.#cursor = null;
  }
}
