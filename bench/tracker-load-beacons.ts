// Fleet beacons from one load worker while it announces (issue 12: announce p99 with 10,000 viewers
// beaconing every 30 s): its share of the viewers POST /beacon at an even rate over keep-alive
// connections, a bounded number in flight; what the tracker answered and how long it took.
import { encodeBeacon } from '../lib/shared/beacon.ts';
import { typicalBeacon } from './beacon.ts';

/** Requests in flight per worker; beyond it a due beacon is counted as skipped (the tracker is behind). */
const MAX_IN_FLIGHT = 64;

export interface BeaconLoadResult {
  readonly sent: number;
  readonly skipped: number;
  /** HTTP status → count (0: the request failed). */
  readonly statuses: Readonly<Record<string, number>>;
  readonly latenciesMs: number[];
}

export class BeaconLoad {
  readonly #url: string;
  readonly #viewers: readonly number[];
  readonly #ratePerSecond: number;
  /** The tracker refuses a session's beacon whose sequence is not above its last (replay): each phase continues the count. */
  readonly #firstSequence: number;
  #sent = 0;
  #skipped = 0;
  #inFlight = 0;
  readonly #statuses = new Map<number, number>();
  readonly #latenciesMs: number[] = [];

  /** `trackerUrl` is the tracker's ws:// URL; `viewers` are this worker's viewer numbers, beaconing in turn from `firstSequence`. */
  constructor(trackerUrl: string, viewers: readonly number[], ratePerSecond: number, firstSequence: number) {
    this.#url = `${trackerUrl.replace(/^ws/, 'http')}/beacon`;
    this.#viewers = viewers;
    this.#ratePerSecond = ratePerSecond;
    this.#firstSequence = firstSequence;
  }

  /** The first sequence number a later phase may use. */
  get nextSequence(): number {
    return this.#firstSequence + Math.ceil(this.#sent / Math.max(1, this.#viewers.length)) + 1;
  }

  /** Send the beacons due `elapsedSeconds` into the phase. */
  tick(elapsedSeconds: number): void {
    const due = Math.floor(elapsedSeconds * this.#ratePerSecond) - this.#sent - this.#skipped;
    for (let i = 0; i < due && this.#viewers.length > 0; i++) {
      if (this.#inFlight >= MAX_IN_FLIGHT) {
        this.#skipped += 1;
        continue;
      }
      const turn = this.#sent;
      const viewer = this.#viewers[turn % this.#viewers.length] as number;
      this.#sent += 1;
      void this.#post(viewer, this.#firstSequence + Math.floor(turn / this.#viewers.length));
    }
  }

  /** Waits (bounded) for the requests in flight, then reports. */
  async finish(timeoutMs: number): Promise<BeaconLoadResult> {
    const deadline = performance.now() + timeoutMs;
    while (this.#inFlight > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return {
      sent: this.#sent,
      skipped: this.#skipped,
      statuses: Object.fromEntries([...this.#statuses].map(([status, count]) => [String(status), count])),
      latenciesMs: this.#latenciesMs,
    };
  }

  async #post(viewer: number, sequence: number): Promise<void> {
    this.#inFlight += 1;
    const started = performance.now();
    let status = 0;
    try {
      const response = await fetch(this.#url, { method: 'POST', body: encodeBeacon(typicalBeacon(viewer, sequence)) });
      status = response.status;
      await response.arrayBuffer();
      this.#latenciesMs.push(performance.now() - started);
    } catch {
      // counted as status 0
    } finally {
      this.#inFlight -= 1;
      this.#statuses.set(status, (this.#statuses.get(status) ?? 0) + 1);
    }
  }
}
