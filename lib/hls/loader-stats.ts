// Empty hls.js LoaderStats for a new transfer; what is reported in them is decided in
// policy/transfer-timing.ts.

import type { LoaderStats } from 'hls.js';
import type { TransferTimings } from '../policy/transfer-timing.ts';

/** Empty hls.js loader stats. */
export function newStats(): LoaderStats {
  return {
    aborted: false,
    loaded: 0,
    retry: 0,
    total: 0,
    chunkCount: 0,
    bwEstimate: 0,
    loading: { start: 0, first: 0, end: 0 },
    parsing: { start: 0, end: 0 },
    buffering: { start: 0, first: 0, end: 0 },
  };
}

/** Empty the stats for a new transfer, keeping the retry count hls.js keeps in them. */
export function resetStats(stats: LoaderStats): void {
  Object.assign(stats, newStats(), { retry: stats.retry });
}

/** What a finished HTTP load tells of HTTP's pace (`HttpPace.measured`). */
export function paceSample(stats: LoaderStats): TransferTimings {
  const { loading } = stats;
  return { startMs: loading.start, firstByteMs: loading.first, endMs: loading.end, bytes: stats.loaded };
}
