// Pure parser of an HTTP `Range` request header (RFC 9110 §14), single ranges only.

/** A satisfiable byte range, end inclusive (as in Content-Range). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** No usable Range header (send the whole body), a range to send with 206, or 416. */
export type RangeResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'range'; readonly range: ByteRange }
  | { readonly kind: 'unsatisfiable' };

/**
 * Parse a `Range` header against a body of `sizeBytes`. Supports one range (`bytes=a-b`,
 * `bytes=a-`, `bytes=-n`); a malformed or multi-range header is ignored (the whole body is sent),
 * as RFC 9110 §14.2 allows.
 */
export function parseRange(header: string | undefined, sizeBytes: number): RangeResult {
  if (header === undefined) return { kind: 'none' };
  // The range unit is case-insensitive (RFC 9110 §14.1).
  const match = /^bytes=(\d*)-(\d*)$/i.exec(header.trim());
  if (match === null) return { kind: 'none' };
  const [, startText = '', endText = ''] = match;
  if (startText === '' && endText === '') return { kind: 'none' };
  if (startText === '') {
    const suffix = Number(endText);
    if (suffix === 0 || sizeBytes === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', range: { start: Math.max(0, sizeBytes - suffix), end: sizeBytes - 1 } };
  }
  const start = Number(startText);
  const end = endText === '' ? sizeBytes - 1 : Math.min(Number(endText), sizeBytes - 1);
  // last-pos < first-pos makes the range invalid, and an invalid header is ignored (§14.1.1).
  if (endText !== '' && Number(endText) < start) return { kind: 'none' };
  if (start >= sizeBytes) return { kind: 'unsatisfiable' };
  return { kind: 'range', range: { start, end } };
}
