import assert from 'node:assert/strict';
import type { LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats } from 'hls.js';
import { resolveConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { newStats } from '../../lib/hls/loader-stats.ts';
import { resumeOverRange, type RangeResumeOutcome } from '../../lib/hls/range-resume.ts';
import type { TrackerClient } from '../../lib/swarm/tracker-client.ts';
import { recordingCallbacks, segmentSevenRequest } from '../helpers/resume-request.ts';

const SEGMENT_BYTES = 1_000_000;

/** An origin's loader for one segment of SEGMENT_BYTES: a range past its end is refused with 416, as HTTP servers do. */
class SegmentOriginLoader {
  stats: LoaderStats = newStats();
  readonly asked: string[] = [];
  load(context: LoaderContext, _config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
    const start = context.rangeStart ?? 0;
    const end = Math.min(context.rangeEnd || SEGMENT_BYTES, SEGMENT_BYTES);
    this.asked.push(`${start}-${context.rangeEnd}`);
    queueMicrotask(() => {
      if (start >= SEGMENT_BYTES) {
        callbacks.onError({ code: 416, text: 'Range Not Satisfiable' }, context, null, this.stats);
        return;
      }
      this.stats.loaded = end - start;
      callbacks.onSuccess({ url: context.url, data: new ArrayBuffer(end - start) }, this.stats, context, null);
    });
  }
  abort(): void {}
  destroy(): void {}
}

describe('Range resume of a peer’s partial segment', () => {
  it('refused by the origin for a size the peer declared wrong (416): the whole segment over HTTP, no error for hls.js', async () => {
    const silent = (): TrackerClient => ({ on: () => undefined, start: () => undefined, destroy: () => undefined });
    const engine = new Engine(resolveConfig({ trackerUrls: ['ws://tracker.invalid'] }), {
      createTrackerClient: silent,
      random: () => 0.5,
      nowMs: () => 0,
    });
    const { calls: hlsCalls, callbacks } = recordingCallbacks();
    const origin = new SegmentOriginLoader();
    const outcome = await new Promise<RangeResumeOutcome>((resolve) =>
      resumeOverRange(
        engine,
        segmentSevenRequest(callbacks),
        origin as never,
        // The peer declared 8 MB and sent 1.2 MB before it stalled: more than the segment has.
        { bytes: new Uint8Array(1_200_000), totalBytes: 8_000_000 },
        resolve,
      ),
    );
    engine.destroy();
    assert.deepEqual(origin.asked, ['1200000-8000000']);
    assert.deepEqual(outcome, { kind: 'range-ignored', receivedBytes: 0 });
    assert.deepEqual(hlsCalls, [], 'hls.js heard nothing of the refused range');
  });
});
