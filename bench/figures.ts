// The benchmark's figures, as pure functions of measured numbers (unit-tested by hand-made inputs).

/** Share of origin bytes saved against the HTTP-only baseline: 1 − p2p-run bytes / baseline bytes. */
export function offload(originBytesWithPeers: number, originBytesHttpOnly: number): number {
  if (originBytesHttpOnly <= 0) throw new RangeError('the HTTP-only baseline served no bytes');
  return 1 - originBytesWithPeers / originBytesHttpOnly;
}

/** The physical limit with N concurrent viewers of one rendition: each segment leaves the origin once. */
export function offloadLimit(viewers: number): number {
  if (!Number.isInteger(viewers) || viewers < 1) throw new RangeError('viewers must be a positive integer');
  return 1 - 1 / viewers;
}

/** Offload as a fraction of its limit (1 = perfect); 0 for one viewer, where the limit is 0. */
export function fractionOfLimit(offloadValue: number, viewers: number): number {
  const limit = offloadLimit(viewers);
  return limit === 0 ? 0 : offloadValue / limit;
}

export interface Agreement {
  readonly agree: boolean;
  /** |library − origin| / origin. */
  readonly relativeDifference: number;
}

/** Whether the library's HTTP byte counter agrees with the origin's within a tolerance (default 1%). */
export function countersAgree(originBytes: number, libraryHttpBytes: number, tolerance = 0.01): Agreement {
  if (originBytes === 0)
    return { agree: libraryHttpBytes === 0, relativeDifference: libraryHttpBytes === 0 ? 0 : Infinity };
  const relativeDifference = Math.abs(libraryHttpBytes - originBytes) / originBytes;
  return { agree: relativeDifference <= tolerance, relativeDifference };
}

export interface CopyFigures {
  readonly mean: number;
  readonly max: number;
  readonly segments: number;
}

/**
 * How many times the origin served each segment it served at all: bytes served for the segment's
 * path divided by the segment's size (partial Range fetches count as fractions).
 */
export function originCopiesPerSegment(
  bytesByPath: Readonly<Record<string, number>>,
  segmentBytes: (path: string) => number | undefined,
): CopyFigures {
  const copies: number[] = [];
  for (const [path, bytes] of Object.entries(bytesByPath)) {
    const size = segmentBytes(path);
    if (size === undefined || size === 0 || bytes === 0) continue;
    copies.push(bytes / size);
  }
  if (copies.length === 0) return { mean: 0, max: 0, segments: 0 };
  return { mean: copies.reduce((a, b) => a + b, 0) / copies.length, max: Math.max(...copies), segments: copies.length };
}

/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}
