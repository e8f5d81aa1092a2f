// What peercdn tells hls.js's ABR about a segment's transfer (LoaderStats timings).
//
// hls.js samples bandwidth on FRAG_BUFFERED as bytes / (parsing.end − loading.start − TTFB), and
// during a load may emergency-abort a fragment whose progress looks too slow. Its estimate must
// answer one question: how fast can the *network* deliver the next segment? peercdn can always
// fetch a segment over HTTP, so that capacity is the faster of the peer that delivered it and
// HTTP as this viewer last measured it. The rules:
// - HTTP: hls.js's own loader measures it; untouched (and it feeds the HTTP estimate below).
// - peer: the real transfer time, capped at what HTTP would have taken at the measured HTTP
//   throughput (a slow peer must not drag the rendition down when HTTP is fast). With no HTTP
//   measurement yet, the real time.
// - cache hit: the segment's original transfer time (never 0, which reads as infinite bandwidth).
// - peer progress is not reported while a peer transfer runs: peercdn's own deadlines move a slow
//   transfer to HTTP, so hls.js's abandon rules judge it by the estimate, not a peer's pace.

/** Smoothed throughput of this viewer's recent HTTP segment loads. */
export interface HttpThroughput {
  readonly bytesPerMs: number;
  readonly firstByteMs: number;
}

/** One measured transfer, in performance.now() milliseconds. */
export interface TransferTimings {
  readonly startMs: number;
  readonly firstByteMs: number;
  readonly endMs: number;
  readonly bytes: number;
}

/** The loading.start / first / end to report. */
export interface ReportedTimings {
  readonly startMs: number;
  readonly firstMs: number;
  readonly endMs: number;
}

// Weight of a new HTTP sample in the smoothed estimate.
const EWMA_WEIGHT = 0.3;
// Loopback and cached responses can finish within a timer tick: never divide by less than this.
const MIN_TRANSFER_MS = 1;

/** Report a peer transfer: real timings, or HTTP's time when HTTP would have been faster. */
export function reportPeerTransfer(measured: TransferTimings, http: HttpThroughput | null): ReportedTimings {
  const measuredMs = measured.endMs - measured.startMs;
  const measuredFirstMs = Math.min(measuredMs, Math.max(0, measured.firstByteMs - measured.startMs));
  if (http === null)
    return { startMs: measured.startMs, firstMs: measured.startMs + measuredFirstMs, endMs: measured.endMs };
  const httpMs = http.firstByteMs + measured.bytes / http.bytesPerMs;
  if (measuredMs <= httpMs)
    return { startMs: measured.startMs, firstMs: measured.startMs + measuredFirstMs, endMs: measured.endMs };
  // Shift the start, not the end: hls.js measures up to its own parsing.end, which comes after
  // the real end, so only a later start shortens what it samples.
  const startMs = measured.endMs - httpMs;
  return { startMs, firstMs: startMs + Math.min(measuredFirstMs, http.firstByteMs), endMs: measured.endMs };
}

/** Report a cache hit as its original transfer, ending now. */
export function reportCacheHit(originalTransferMs: number, nowMs: number): ReportedTimings {
  const startMs = nowMs - Math.max(MIN_TRANSFER_MS, originalTransferMs);
  return { startMs, firstMs: startMs, endMs: nowMs };
}

/** Fold one HTTP transfer into the estimate (exponentially weighted). */
export function updateHttpThroughput(previous: HttpThroughput | null, sample: TransferTimings): HttpThroughput | null {
  if (sample.bytes <= 0 || sample.endMs < sample.startMs) return previous;
  const firstByteMs = Math.max(0, Math.min(sample.firstByteMs, sample.endMs) - sample.startMs);
  const bytesPerMs =
    sample.bytes / Math.max(MIN_TRANSFER_MS, sample.endMs - Math.max(sample.startMs, sample.firstByteMs));
  if (previous === null) return { bytesPerMs, firstByteMs };
  return {
    bytesPerMs: previous.bytesPerMs + EWMA_WEIGHT * (bytesPerMs - previous.bytesPerMs),
    firstByteMs: previous.firstByteMs + EWMA_WEIGHT * (firstByteMs - previous.firstByteMs),
  };
}
