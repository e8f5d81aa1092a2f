import type { OriginSetting } from '../api/config.ts';
import type { OriginInfo, OriginStateEvent } from '../api/events.ts';
import {
  afterFailure,
  afterNotFound,
  afterTransfer,
  originIndexOf,
  pickOrigin,
  rebaseUrl,
  type OriginHealth,
} from '../policy/origin-health.ts';

/** What a request fetches: segments and playlists take turns by weight separately (sharing one rotation, a live stream's playlist refresh and segment could lock into always going to different origins). */
export type OriginRequestKind = 'segment' | 'playlist';

interface OriginCounters {
  bytes: number;
  requests: number;
  errors: number;
  latencyMs: number | null;
}

/**
 * The configured origins of one instance: their health (origin-health's rules), the choice of
 * origin per HTTP request, URL rewriting, per-origin counters and `origin-state` events.
 */
export class Origins {
  readonly baseUrls: readonly string[];
  #health: OriginHealth[];
  readonly #counters: OriginCounters[];
  readonly #credits: Record<OriginRequestKind, number[]>;
  readonly #nowMs: () => number;
  readonly #onState: (event: OriginStateEvent) => void;

  constructor(settings: readonly OriginSetting[], nowMs: () => number, onState: (event: OriginStateEvent) => void) {
    this.baseUrls = settings.map((origin) => origin.baseUrl);
    this.#health = settings.map(({ weight = 1 }) => ({
      weight,
      downUntilMs: 0,
      failures: 0,
      bytesPerMs: null,
      samples: 0,
      credit: 0,
      notFound: 0,
    }));
    this.#counters = settings.map(() => ({ bytes: 0, requests: 0, errors: 0, latencyMs: null }));
    this.#credits = { segment: settings.map(() => 0), playlist: settings.map(() => 0) };
    this.#nowMs = nowMs;
    this.#onState = onState;
  }

  /** The origin `url` lies under; -1 when under none (then it is fetched as it is). */
  indexOf(url: string): number {
    return originIndexOf(url, this.baseUrls);
  }

  /** `url` under origin `from`, moved to origin `to`. */
  url(url: string, from: number, to: number): string {
    return rebaseUrl(url, this.baseUrls, from, to);
  }

  /** The origin for the next request of this kind (not one of `excluded`); null when every origin was tried. */
  chooseOrigin(excluded: readonly number[], kind: OriginRequestKind): number | null {
    const credits = this.#credits[kind];
    const turns = this.#health.map((origin, i) => ({ ...origin, credit: credits[i]! }));
    const picked = pickOrigin(turns, this.#nowMs(), excluded);
    if (picked === null) return null;
    this.#credits[kind] = picked.credits;
    this.#counters[picked.index]!.requests += 1;
    return picked.index;
  }

  /**
   * A request to origin `index` failed (HTTP error, refused, timeout): out of rotation for a while;
   * a 404 (`not-found`) only when it repeats over several requests (origin-health's `afterNotFound`).
   */
  failed(index: number, reason: 'error' | 'timeout' | 'not-found', bytes: number): void {
    const counters = this.#counters[index]!;
    counters.errors += 1;
    counters.bytes += bytes;
    this.#set(
      index,
      (reason === 'not-found' ? afterNotFound : afterFailure)(this.#health[index]!, this.#nowMs()),
      reason,
    );
  }

  /** A transfer from origin `index` completed; a far slower origin than the others is taken out. */
  recordTransfer(index: number, bytes: number, firstByteMs: number, durationMs: number): void {
    const counters = this.#counters[index]!;
    counters.bytes += bytes;
    counters.latencyMs = counters.latencyMs === null ? firstByteMs : counters.latencyMs * 0.7 + firstByteMs * 0.3;
    const { origin, slow } = afterTransfer(this.#health, index, bytes, durationMs, this.#nowMs());
    this.#set(index, origin, slow ? 'slow' : 'recovered');
  }

  /**
   * How long the fastest measured origin takes for `bytes` (its average pace, first byte included);
   * null before any measure. The viewer's overall HTTP pace would include the slow origin's transfers.
   */
  expectedMs(bytes: number | null): number | null {
    const best = Math.max(0, ...this.#health.map((origin) => origin.bytesPerMs ?? 0));
    return bytes === null || best === 0 ? null : bytes / best;
  }

  /** Bytes a request received before it was cut short (a hedge's loser). */
  counted(index: number, bytes: number): void {
    this.#counters[index]!.bytes += bytes;
  }

  /** Each origin's state and counters. */
  info(): OriginInfo[] {
    const nowMs = this.#nowMs();
    return this.baseUrls.map((baseUrl, i) => ({
      baseUrl,
      weight: this.#health[i]!.weight,
      up: this.#health[i]!.downUntilMs <= nowMs,
      ...this.#counters[i]!,
    }));
  }

  #set(index: number, origin: OriginHealth, reason: OriginStateEvent['reason']): void {
    // Out of rotation while failures count: an event only when that changes.
    const down = origin.failures > 0;
    const wasDown = this.#health[index]!.failures > 0;
    this.#health[index] = origin;
    if (down === wasDown) return;
    this.#onState({
      baseUrl: this.baseUrls[index]!,
      up: !down,
      reason,
      retryInMs: down ? origin.downUntilMs - this.#nowMs() : 0,
    });
  }
}
