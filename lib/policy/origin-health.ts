// Which origin (CDN / mirror) serves the next HTTP request, when one is taken out and when a
// request is hedged. Pure functions of plain inputs, so the rules are tested as tables.

/** What the policy knows of one origin. */
export interface OriginHealth {
  readonly weight: number;
  /** Out of rotation until then (engine clock, ms); at or before now it is in (or due for a probe). */
  readonly downUntilMs: number;
  /** Failures (error, timeout, too slow) since its last good transfer: the back-off doubles with each. */
  readonly failures: number;
  /** Smoothed throughput of its transfers since its last failure, bytes per ms; null before the first. */
  readonly bytesPerMs: number | null;
  /** Transfers in that average. */
  readonly samples: number;
  /** Smooth weighted round robin credit. */
  readonly credit: number;
  /** Requests in a row answered 404 since its last good transfer (see `afterNotFound`). */
  readonly notFound: number;
}

/** First back-off of a failing origin; it doubles with each further failure up to the maximum. */
export const ORIGIN_BACKOFF_MS = 2000;
export const ORIGIN_MAX_BACKOFF_MS = 60_000;
/** An origin whose throughput is below this share of the best other origin's is taken out as slow... */
export const SLOW_ORIGIN_RATIO = 0.25;
/** ...once both averages hold this many transfers (one transfer's pace is noise: a new connection, a hiccup)... */
export const SLOW_ORIGIN_MIN_SAMPLES = 3;
/** ...and only for a transfer that took this long (fast enough is fast enough, whatever the ratio). */
export const SLOW_ORIGIN_MIN_MS = 500;
/** 404s for this many requests in a row, no good transfer between, and a 404 counts as the origin's failure. */
export const NOT_FOUND_LIMIT = 3;
/** Segments needed within this many seconds are urgent: a late request for one is hedged. */
export const HEDGE_URGENT_SECONDS = 8;
/** Earliest hedge, and the hedge delay while HTTP's pace is unmeasured. */
export const HEDGE_MIN_MS = 300;
export const HEDGE_UNMEASURED_MS = 1500;

/**
 * The next origin by smooth weighted round robin (nginx's: exact shares, interleaved) among those
 * in rotation and not `excluded`; when none is in rotation, the one due back first (a probe
 * beats failing the load). Returns its index and the new credits; null when all are excluded.
 */
export function pickOrigin(
  origins: readonly OriginHealth[],
  nowMs: number,
  excluded: readonly number[],
): { readonly index: number; readonly credits: number[] } | null {
  const open = origins.map((_, index) => index).filter((index) => !excluded.includes(index));
  if (open.length === 0) return null;
  const up = open.filter((index) => origins[index]!.downUntilMs <= nowMs);
  if (up.length === 0) {
    const index = open.reduce((best, i) => (origins[i]!.downUntilMs < origins[best]!.downUntilMs ? i : best));
    return { index, credits: origins.map((origin) => origin.credit) };
  }
  const credits = origins.map((origin, index) => origin.credit + (up.includes(index) ? origin.weight : 0));
  const index = up.reduce((best, i) => (credits[i]! > credits[best]! ? i : best));
  credits[index]! -= up.reduce((sum, i) => sum + origins[i]!.weight, 0);
  return { index, credits };
}

/** After an error or timeout (or a transfer far too slow, or repeated 404s): out for a back-off that doubles each time. */
export function afterFailure(origin: OriginHealth, nowMs: number): OriginHealth {
  const backoffMs = Math.min(ORIGIN_BACKOFF_MS * 2 ** origin.failures, ORIGIN_MAX_BACKOFF_MS);
  return { ...origin, failures: origin.failures + 1, downUntilMs: nowMs + backoffMs, notFound: 0 };
}

/**
 * After a 404: the request goes on to the next origin, but one 404 is no sign of a broken origin
 * (a live segment not published yet, on any origin). Only `NOT_FOUND_LIMIT` requests in a row
 * answered 404 there (content missing on that origin) count as a failure.
 */
export function afterNotFound(origin: OriginHealth, nowMs: number): OriginHealth {
  const notFound = origin.notFound + 1;
  return notFound < NOT_FOUND_LIMIT ? { ...origin, notFound } : afterFailure(origin, nowMs);
}

/**
 * After a transfer of `bytes` in `durationMs`: back in rotation, unless it took long and the
 * origin's average is far below the best other origin's (then out, as a failure). Averages start afresh after a failure, so a recovered
 * origin is judged on what it does now.
 */
export function afterTransfer(
  origins: readonly OriginHealth[],
  index: number,
  bytes: number,
  durationMs: number,
  nowMs: number,
): { readonly origin: OriginHealth; readonly slow: boolean } {
  const origin = origins[index]!;
  const bytesPerMs = bytes / Math.max(durationMs, 1);
  const fresh = origin.failures > 0 || origin.bytesPerMs === null;
  const measured = fresh ? bytesPerMs : origin.bytesPerMs + 0.3 * (bytesPerMs - origin.bytesPerMs);
  const samples = fresh ? 1 : origin.samples + 1;
  const judged = (other: OriginHealth): number =>
    other.samples >= SLOW_ORIGIN_MIN_SAMPLES ? (other.bytesPerMs ?? 0) : 0;
  const best = Math.max(0, ...origins.map((other, i) => (i === index ? 0 : judged(other))));
  const updated = { ...origin, bytesPerMs: measured, samples };
  const slow =
    samples >= SLOW_ORIGIN_MIN_SAMPLES && durationMs >= SLOW_ORIGIN_MIN_MS && measured < SLOW_ORIGIN_RATIO * best;
  return slow
    ? { origin: { ...afterFailure(updated, nowMs), bytesPerMs: null, samples: 0 }, slow }
    : { origin: { ...updated, failures: 0, notFound: 0 }, slow };
}

/**
 * How long an HTTP request may run before a second one goes to another origin: only for a segment
 * needed soon (or before playback starts); twice the expected delivery time (the fastest origin's),
 * at most half the time left. Null: do not hedge.
 */
export function hedgeDelayMs(
  expectedDeliveryMs: number | null,
  secondsUntilNeeded: number | null,
  startingUp: boolean,
): number | null {
  const urgent = startingUp || (secondsUntilNeeded !== null && secondsUntilNeeded < HEDGE_URGENT_SECONDS);
  if (!urgent) return null;
  const lateMs = expectedDeliveryMs === null ? HEDGE_UNMEASURED_MS : 2 * expectedDeliveryMs;
  const capMs = secondsUntilNeeded === null || startingUp ? Infinity : (secondsUntilNeeded * 1000) / 2;
  return Math.max(HEDGE_MIN_MS, Math.min(lateMs, capMs));
}

/** The index of the origin whose base URL `url` starts with; -1 for none. */
export function originIndexOf(url: string, baseUrls: readonly string[]): number {
  return baseUrls.findIndex((base) => url.startsWith(base));
}

/** `url` (under `baseUrls[from]`) moved to the same path under `baseUrls[to]`. */
export function rebaseUrl(url: string, baseUrls: readonly string[], from: number, to: number): string {
  return baseUrls[to]! + url.slice(baseUrls[from]!.length);
}
