// Faults the demo/bench origin can inject into its media answers (playlists, manifests, segments),
// for failover tests and the multi-origin bench: a share of 5xx answers and added latency.
// Deterministic (no randomness): with `errorRate` r, request n fails when it crosses a multiple
// of 1/r, so every run of a test sees the same answers.

/** What to inject; every field optional, the default is no fault. */
export interface OriginFaultSettings {
  /** Share of media requests (0-1) answered with `errorStatus` instead of content. */
  readonly errorRate?: number;
  /** HTTP status of those answers (default 503). */
  readonly errorStatus?: number;
  /** Delay before every media answer, in ms (a slow or far origin). */
  readonly addedLatencyMs?: number;
  /** Inject only into segment answers (playlists and manifests served normally). */
  readonly segmentsOnly?: boolean;
  /** Answer every segment request whole (200), Range or not, as a server without Range support does. */
  readonly ignoreRange?: boolean;
}

/** What the origin does with one media request. */
export type FaultVerdict =
  | { readonly kind: 'fail'; readonly status: number }
  | { readonly kind: 'serve'; readonly delayMs: number };

/** The origin's current faults; `set()` changes them mid-run. */
export class OriginFaults {
  #settings: OriginFaultSettings = {};
  #requests = 0;
  #failed = 0;

  /** Replace the faults (`{}` for none); the error count starts again. */
  set(settings: OriginFaultSettings): void {
    const { errorRate = 0, errorStatus = 503, addedLatencyMs = 0 } = settings;
    if (!(errorRate >= 0 && errorRate <= 1))
      throw new RangeError(`origin faults: errorRate must be 0-1, got ${errorRate}`);
    if (!Number.isInteger(errorStatus) || errorStatus < 500 || errorStatus > 599)
      throw new RangeError(`origin faults: errorStatus must be a 5xx status, got ${errorStatus}`);
    if (!(addedLatencyMs >= 0 && addedLatencyMs <= 600_000))
      throw new RangeError(`origin faults: addedLatencyMs must be 0-600000, got ${addedLatencyMs}`);
    this.#settings = { ...settings, errorRate, errorStatus, addedLatencyMs };
    this.#requests = 0;
  }

  /** Whether segment requests are answered whole whatever Range they ask for. */
  get ignoresRange(): boolean {
    return this.#settings.ignoreRange === true;
  }

  /** Media requests answered with an injected error since the origin started. */
  get failedRequests(): number {
    return this.#failed;
  }

  /** The verdict for the next media request (`segment`: whether it asks for a segment). */
  next(segment: boolean): FaultVerdict {
    const { errorRate = 0, errorStatus = 503, addedLatencyMs = 0, segmentsOnly = false } = this.#settings;
    if (segmentsOnly && !segment) return { kind: 'serve', delayMs: 0 };
    const n = this.#requests++;
    if (Math.floor((n + 1) * errorRate) > Math.floor(n * errorRate)) {
      this.#failed += 1;
      return { kind: 'fail', status: errorStatus };
    }
    return { kind: 'serve', delayMs: addedLatencyMs };
  }
}
