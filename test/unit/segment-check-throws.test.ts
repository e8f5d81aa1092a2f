import assert from 'node:assert/strict';
import type { LoaderCallbacks, LoaderConfiguration, LoaderContext } from 'hls.js';
import { resolveConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { resumeOverRange, type RangeResumeOutcome } from '../../lib/hls/range-resume.ts';
import type { TrackerClient } from '../../lib/swarm/tracker-client.ts';
import { recordingCallbacks, segmentSevenRequest } from '../helpers/resume-request.ts';

// A segment check that throws (here: a hash-manifest URL that cannot be resolved against the
// playlist) must end as a verdict, never as a rejection: a Range resume awaits the check with no
// timer behind it, so hls.js would never hear of the fragment again.

const PACKETS = 100;
const WHOLE = new Uint8Array(188 * PACKETS);
for (let p = 0; p < PACKETS; p += 1) WHOLE[p * 188] = 0x47;

/** hls.js's loader for the Range request: the rest of WHOLE, at once. */
class RangeLoader {
  stats = { loaded: 0, loading: { start: 0, first: 0, end: 0 }, aborted: false, retry: 0 };
  load(context: LoaderContext, _config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
    const rest = WHOLE.slice(context.rangeStart ?? 0, context.rangeEnd ?? undefined);
    queueMicrotask(() => {
      callbacks.onSuccess({ url: context.url, data: rest.buffer }, this.stats as never, context, null);
    });
  }
  abort(): void {}
  destroy(): void {}
}

const silent = (): TrackerClient => ({ on: () => undefined, start: () => undefined, destroy: () => undefined });

describe('a segment check that throws', () => {
  it('rejects a segmentHashesUrl that does not resolve to a URL, naming the key', () => {
    for (const segmentHashesUrl of [
      'https://cdn.test:99999/hashes.json',
      'http://[::1/hashes.json',
      'http://%zz/h.json',
    ])
      assert.throws(
        () => resolveConfig({ segmentHashesUrl }),
        (error: Error) => error.message.includes('"segmentHashesUrl"'),
        segmentHashesUrl,
      );
    assert.equal(resolveConfig({ segmentHashesUrl: '../hashes.json' }).segmentHashesUrl, '../hashes.json');
    assert.equal(resolveConfig({ segmentHashesUrl: '//cdn.test/h.json' }).segmentHashesUrl, '//cdn.test/h.json');
  });

  it('ends a Range-resumed load as unverifiable (HTTP, nobody blamed) instead of never', async () => {
    // Past resolveConfig (as before its check): the manifest URL throws when resolved.
    const config = {
      ...resolveConfig({ trackerUrls: ['ws://tracker.invalid'] }),
      segmentHashesUrl: 'http://cdn.test:99999/h.json',
    };
    let manifestRequests = 0;
    const engine = new Engine(config, {
      createTrackerClient: silent,
      random: () => 0.5,
      nowMs: () => 0,
      fetchBytes: () => {
        manifestRequests += 1;
        return Promise.resolve({ status: 404, body: new ArrayBuffer(0) });
      },
    });
    const { calls: hlsCalls, callbacks } = recordingCallbacks();
    const ended = await new Promise<RangeResumeOutcome>((resolve) => {
      resumeOverRange(
        engine,
        segmentSevenRequest(callbacks),
        new RangeLoader() as never,
        { bytes: WHOLE.slice(0, 188 * 40), totalBytes: WHOLE.byteLength, vouched: true },
        resolve,
      );
    });
    assert.equal(ended.kind, 'unverifiable');
    assert.equal(ended.kind === 'unverifiable' ? ended.restBytes : 0, 188 * 60);
    assert.equal(manifestRequests, 0);
    assert.deepEqual(hlsCalls, [], 'the fragment loader, not the resume, tells hls.js');
    engine.destroy();
  });
});
