import assert from 'node:assert/strict';
import type { FragmentLoaderContext, HlsConfig, Loader, LoaderCallbacks, LoaderConfiguration } from 'hls.js';
import { resolveConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { FragmentLoader } from '../../lib/hls/fragment-loader.ts';
import { newStats } from '../../lib/hls/loader-stats.ts';

// LL-HLS: hls.js loads parts of a segment (EXT-X-PART) through the fragment loader too. A part is
// not a segment: its size must not become the typical segment size, which says how long HTTP
// takes for the next segment (the bound on every wait for peers) and when origins hedge.

const SEGMENT_BYTES = 600_000;
const PART_BYTES = 100_000;

/** hls.js's HTTP loader as far as the fragment loader uses it: `bytes` in 100 ms, at once. */
class InstantHttp implements Partial<Loader<FragmentLoaderContext>> {
  stats = newStats();
  constructor(private readonly bytes: number) {}
  load(
    context: FragmentLoaderContext,
    _config: LoaderConfiguration,
    callbacks: LoaderCallbacks<FragmentLoaderContext>,
  ) {
    const { stats } = this;
    stats.loading = { start: 1000, first: 1050, end: 1100 };
    stats.loaded = stats.total = this.bytes;
    queueMicrotask(() =>
      callbacks.onSuccess({ url: context.url, data: new ArrayBuffer(this.bytes) }, stats, context, null),
    );
  }
  abort(): void {}
  destroy(): void {}
}

function load(engine: Engine, part: boolean, bytes: number): Promise<void> {
  const loader = new FragmentLoader(
    engine,
    {} as HlsConfig,
    () => new InstantHttp(bytes) as unknown as Loader<FragmentLoaderContext>,
  );
  const context = {
    url: 'http://origin.test/live/seg_7.ts',
    responseType: 'arraybuffer',
    rangeStart: 0,
    rangeEnd: 0,
    part: part ? { index: 0, duration: 1, fragment: {} } : null,
    frag: { sn: 7, level: 0, type: 'main', baseurl: 'http://origin.test/live/index.m3u8', start: 14, duration: 6 },
  } as unknown as FragmentLoaderContext;
  const config = { loadPolicy: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 30_000 } } as LoaderConfiguration;
  return new Promise((resolve, reject) =>
    loader.load(context, config, {
      onSuccess: () => resolve(),
      onError: () => reject(new Error('error')),
      onTimeout: () => reject(new Error('timeout')),
    }),
  );
}

describe('LL-HLS parts over the fragment loader', () => {
  it('leave the typical segment size, and so HTTP delivery time, to whole segments', async () => {
    const engine = new Engine(resolveConfig({}), {
      createTrackerClient: () => assert.fail('no tracker in this test'),
      random: () => 0.5,
      nowMs: () => 0,
    });
    await load(engine, false, SEGMENT_BYTES);
    assert.equal(engine.httpPace.typicalSegmentBytes, SEGMENT_BYTES);
    const deliveryMs = engine.httpPace.deliveryMs();
    for (let i = 0; i < 6; i += 1) await load(engine, true, PART_BYTES);
    assert.equal(engine.httpPace.typicalSegmentBytes, SEGMENT_BYTES, 'parts are not segments');
    assert.ok((engine.httpPace.deliveryMs() ?? 0) >= (deliveryMs ?? Infinity) * 0.9);
    engine.destroy();
  });
});
