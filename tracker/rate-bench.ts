// Connections that went over the announce rate sit on the bench: their peers get no offers and
// their own offers are not relayed until they have kept to the rate for a while. A flood of
// announces from a few hundred sockets then stops crowding honest viewers out of each other's
// offers (issue 11: 200 flooding sockets left 12% of honest offers reaching honest peers).
import type { TrackerConnection } from './swarm.ts';

/** How long a connection stays benched after its last refused announce, by default. */
export const RATE_BENCH_MS = 60_000;

export type BenchStatus = 'free' | 'benched' | 'released';

export class RateBench {
  readonly #benchMs: number;
  /** Benched connections and when their bench ends; empty in a calm tracker (one Map lookup per announce). */
  readonly #untilMs = new Map<TrackerConnection, number>();
  /** Times a connection was put on the bench (for /metrics). */
  benchings = 0;

  /** `benchMs` 0 turns benching off. */
  constructor(benchMs: number = RATE_BENCH_MS) {
    this.#benchMs = benchMs;
  }

  /** Connections on the bench now (or until their next accepted announce releases them). */
  get size(): number {
    return this.#untilMs.size;
  }

  /** A refused announce benches the connection, or keeps it benched longer; true when it was not benched before. */
  bench(connection: TrackerConnection, nowMs: number): boolean {
    if (this.#benchMs === 0) return false;
    const wasFree = !this.#untilMs.has(connection);
    this.#untilMs.set(connection, nowMs + this.#benchMs);
    if (wasFree) this.benchings += 1;
    return wasFree;
  }

  /** At an accepted announce: `benched` while the bench lasts, `released` once after it ended, else `free`. */
  status(connection: TrackerConnection, nowMs: number): BenchStatus {
    const untilMs = this.#untilMs.get(connection);
    if (untilMs === undefined) return 'free';
    if (nowMs < untilMs) return 'benched';
    this.#untilMs.delete(connection);
    return 'released';
  }

  /** The connection is gone. Idempotent. */
  forget(connection: TrackerConnection): void {
    this.#untilMs.delete(connection);
  }
}
