import type { HttpThroughput } from './transfer-timing.ts';

/** A running peer transfer, as the loader sees it. */
export interface PeerTransferProgress {
  /** Milliseconds since the request was sent (the pace so far, round trip included). */
  readonly elapsedMs: number;
  readonly loadedBytes: number;
  readonly totalBytes: number;
}

/** A segment should be whole this long before it plays (parsing, appending, a little slack). */
export const DEADLINE_MARGIN_MS = 1000;
// A pace measured over less than this is noise (one chunk, a scheduler hiccup).
const MIN_MEASURED_MS = 200;

/**
 * Whether to stop a peer transfer and fetch the rest over HTTP: the peer's pace so far would
 * finish the segment after the playhead needs it, and HTTP (at this viewer's measured pace, or
 * unmeasured) would finish the rest sooner. A peer slower than playback otherwise drains the
 * buffer one segment at a time until playback stalls. A peer that has sent nothing yet (a busy
 * uplink) is left once HTTP (as measured; unmeasured: instant) would only just bring `totalBytes`
 * (the typical segment size) in time: waiting out the first-byte timeout would make HTTP late.
 */
export function peerMissesDeadline(
  progress: PeerTransferProgress,
  msUntilNeeded: number | null,
  http: HttpThroughput | null,
): boolean {
  const { elapsedMs, loadedBytes, totalBytes } = progress;
  if (msUntilNeeded === null) return false;
  const budgetMs = msUntilNeeded - DEADLINE_MARGIN_MS;
  const remainingBytes = totalBytes - loadedBytes;
  const httpMs = http === null ? 0 : http.firstByteMs + remainingBytes / http.bytesPerMs;
  if (loadedBytes <= 0) return httpMs > budgetMs;
  if (remainingBytes <= 0 || elapsedMs < MIN_MEASURED_MS) return false;
  const peerRemainingMs = remainingBytes / (loadedBytes / elapsedMs);
  return peerRemainingMs > budgetMs && httpMs < peerRemainingMs;
}
