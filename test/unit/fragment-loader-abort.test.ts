import assert from 'node:assert/strict';
import { mock } from 'node:test';
import type { FragmentLoaderContext, HlsConfig, LoaderCallbacks, LoaderConfiguration, LoaderContext } from 'hls.js';
import { resolveConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { createFragmentLoaderClass } from '../../lib/hls/fragment-loader.ts';
import type { TrackerClient } from '../../lib/swarm/tracker-client.ts';

// A tracker client that never introduces anyone: the swarm stays warming up, with no peers.
const silentTracker = (): TrackerClient => ({ on: () => undefined, start: () => undefined, destroy: () => undefined });

const LOADER_CONFIG = {
  loadPolicy: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 30_000, timeoutRetry: null, errorRetry: null },
} as unknown as LoaderConfiguration;

function setup(startSeconds: number) {
  const httpLoads: string[] = [];
  // Stands in for hls.js's default loader: records what would have gone to the origin.
  class RecordingHttpLoader {
    stats = { loaded: 0 };
    load(context: LoaderContext): void {
      httpLoads.push(context.url);
    }
    abort(): void {}
    destroy(): void {}
  }
  const engine = new Engine(resolveConfig({ trackerUrls: ['ws://tracker.invalid'] }), {
    createTrackerClient: silentTracker,
    random: () => 0.5,
    nowMs: () => 0,
  });
  const media = { readyState: 4, currentTime: 0, playbackRate: 1 };
  engine.playback.follow({ media: media as unknown as HTMLMediaElement });
  const FragmentLoader = createFragmentLoaderClass(engine);
  const loader = new FragmentLoader({
    loader: RecordingHttpLoader,
  } as unknown as HlsConfig);
  const calls: string[] = [];
  const callbacks: LoaderCallbacks<FragmentLoaderContext> = {
    onSuccess: () => calls.push('success'),
    onError: () => calls.push('error'),
    onTimeout: () => calls.push('timeout'),
    onAbort: () => calls.push('abort'),
  };
  const context = {
    url: `http://origin.invalid/vod/180p/seg_${startSeconds / 2}.ts`,
    responseType: 'arraybuffer',
    rangeStart: 0,
    rangeEnd: 0,
    part: null,
    frag: {
      sn: startSeconds / 2,
      level: 0,
      type: 'main',
      baseurl: 'http://origin.invalid/vod/180p/index.m3u8',
      start: startSeconds,
      duration: 2,
    },
  } as unknown as FragmentLoaderContext;
  return { engine, media, loader, calls, httpLoads, load: () => loader.load(context, LOADER_CONFIG, callbacks) };
}

describe('fragment loader: what a seek or rendition switch cancels', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval'] }));
  afterEach(() => mock.timers.reset());

  it('goes to HTTP once a segment the swarm was waiting for is needed soon (the case aborts must stop)', () => {
    const { engine, media, calls, httpLoads, load } = setup(2);
    load();
    assert.deepEqual(httpLoads, [], 'a segment 2 s ahead waits for the first peers');
    media.currentTime = 1;
    mock.timers.tick(10_000);
    assert.equal(httpLoads.length, 1);
    assert.deepEqual(calls, []);
    engine.destroy();
  });

  const cases = [
    {
      name: 'never asks the origin for a segment whose wait for peers was aborted, and reports only the abort',
      startSeconds: 2,
      stop: 'abort',
      playheadSeconds: 1,
      expectedCalls: ['abort'],
    },
    {
      name: 'never asks the origin for a far-ahead prefetch that was aborted, even once its time comes',
      startSeconds: 30,
      stop: 'abort',
      playheadSeconds: 29,
      expectedCalls: ['abort'],
    },
    {
      name: 'stops waiting when hls.js destroys the loader, with no callback at all',
      startSeconds: 2,
      stop: 'destroy',
      playheadSeconds: 1,
      expectedCalls: [],
    },
  ] as const;
  for (const { name, startSeconds, stop, playheadSeconds, expectedCalls } of cases) {
    it(name, () => {
      const { engine, media, loader, calls, httpLoads, load } = setup(startSeconds);
      load();
      if (stop === 'abort') loader.abort();
      else loader.destroy();
      media.currentTime = playheadSeconds;
      mock.timers.tick(60_000);
      assert.deepEqual(httpLoads, []);
      assert.deepEqual(calls, expectedCalls);
      engine.destroy();
    });
  }
});

describe('fragment loader: the stats hls.js reads while a load runs', () => {
  it('dates a load from its start while it waits for peers, as hls.js loaders do (its abandon rules read it)', () => {
    const { engine, loader, httpLoads, load } = setup(2);
    const beforeMs = performance.now();
    load();
    const afterMs = performance.now();
    assert.deepEqual(httpLoads, [], 'the load is waiting for the first peers');
    assert.ok(
      loader.stats.loading.start >= beforeMs && loader.stats.loading.start <= afterMs,
      `loading.start ${loader.stats.loading.start}, load() ran between ${beforeMs} and ${afterMs}`,
    );
    assert.equal(loader.stats.loaded, 0);
    engine.destroy();
  });
});
