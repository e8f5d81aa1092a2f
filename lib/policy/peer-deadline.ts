import type { HttpThroughput } from './transfer-timing.ts';

/** A running peer transfer, as the loader sees it. */
export interface PeerTransferProgress {
  /** Milliseconds since the request was sent (the pace so far, round trip included). */
  readonly elapsedMs: number;
  readonly loadedBytes: number;
  readonly totalBytes: number;
  /** When the first bytes came (ms since the request), and how many came with them (0: none yet). */
  readonly firstByteElapsedMs: number;
  readonly firstChunkBytes: number;
}

/** A segment should be whole this long before it plays (parsing, appending, a little slack). */
export const DEADLINE_MARGIN_MS = 1000;
/** How often the loader checks a running peer transfer (besides on every chunk). */
export const DEADLINE_CHECK_MS = 250;
// A late transfer is cut while HTTP still has this many times its expected time for the rest.
const HTTP_REST_SAFETY = 3;
// A pace measured over less than this (after the first bytes) is noise (a chunk, a scheduler hiccup).
const MIN_MEASURED_MS = 200;

/**
 * Whether to stop a peer transfer and fetch the rest over HTTP: the peer's pace so far would
 * finish the segment after the playhead needs it, HTTP (at this viewer's measured pace, or
 * unmeasured) would finish the rest sooner, and waiting for the next check would leave HTTP less
 * than three times its expected time for the rest (or its time for the whole segment, for an
 * origin that ignores the range). The peer's bytes until then are kept (the rest comes by Range),
 * so a late peer still gives what it can; unmeasured HTTP: at once. A peer slower than playback otherwise
 * drains the buffer one segment at a time until playback stalls. A peer that has sent nothing yet
 * (a busy uplink) is left once HTTP (as measured; unmeasured: instant) would only just bring
 * `totalBytes` (the typical segment size) in time: waiting out the first-byte timeout would make
 * HTTP late.
 */
export function peerMissesDeadline(
  progress: PeerTransferProgress,
  msUntilNeeded: number | null,
  http: HttpThroughput | null,
): boolean {
  const { elapsedMs, loadedBytes, totalBytes, firstByteElapsedMs, firstChunkBytes } = progress;
  if (msUntilNeeded === null) return false;
  const budgetMs = msUntilNeeded - DEADLINE_MARGIN_MS;
  const remainingBytes = totalBytes - loadedBytes;
  const httpMs = http === null ? 0 : http.firstByteMs + remainingBytes / http.bytesPerMs;
  if (loadedBytes <= 0) return httpMs > budgetMs;
  // The pace from the first bytes on: the wait for them is the round trip and the peer's queue, not
  // its pace (counted in, a far peer sending a segment in many chunks looked slow after the first).
  const paceMs = elapsedMs - firstByteElapsedMs;
  if (remainingBytes <= 0 || paceMs < MIN_MEASURED_MS) return false;
  const peerRemainingMs = remainingBytes / ((loadedBytes - firstChunkBytes) / paceMs);
  if (peerRemainingMs <= budgetMs || httpMs >= peerRemainingMs) return false;
  return (
    http === null ||
    budgetMs <= Math.max(httpMs * HTTP_REST_SAFETY, http.firstByteMs + totalBytes / http.bytesPerMs) + DEADLINE_CHECK_MS
  );
}
