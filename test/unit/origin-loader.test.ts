import assert from 'node:assert/strict';
import { mock } from 'node:test';
import type {
  FragmentLoaderContext,
  HlsConfig,
  Loader,
  LoaderCallbacks,
  LoaderConfiguration,
  LoaderContext,
  LoaderStats,
} from 'hls.js';
import { resolveConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { createFragmentLoaderClass } from '../../lib/hls/fragment-loader.ts';
import { useOrigins } from '../../lib/hls/origin-routing.ts';
import { newStats } from '../../lib/hls/loader-stats.ts';
import { NOT_FOUND_LIMIT } from '../../lib/policy/origin-health.ts';

const LOADER_CONFIG = {
  loadPolicy: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 30_000, timeoutRetry: null, errorRetry: null },
} as unknown as LoaderConfiguration;

// Stands in for hls.js's default loader: the test decides when and how each request ends.
class ScriptedLoader {
  static made: ScriptedLoader[] = [];
  stats: LoaderStats = newStats();
  url = '';
  aborted = false;
  destroyed = false;
  callbacks: LoaderCallbacks<LoaderContext> | null = null;
  context: LoaderContext | null = null;
  constructor() {
    ScriptedLoader.made.push(this);
  }
  load(context: LoaderContext, _config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
    this.url = context.url;
    this.context = context;
    this.callbacks = callbacks;
  }
  progress(bytes: number): void {
    this.stats.loaded = bytes;
  }
  succeed(bytes: number, durationMs = 20): void {
    Object.assign(this.stats, { loaded: bytes, total: bytes, loading: { start: 0, first: 10, end: durationMs } });
    this.callbacks?.onSuccess({ url: this.url, data: new ArrayBuffer(bytes) }, this.stats, this.context!, null);
  }
  fail(code: number): void {
    this.callbacks?.onError({ code, text: 'failed' }, this.context!, null, this.stats);
  }
  abort(): void {
    this.aborted = true;
    this.callbacks?.onAbort?.(this.stats, this.context!, null);
  }
  destroy(): void {
    this.destroyed = true;
    this.callbacks = null;
  }
}

function setup(secondsAhead: number) {
  ScriptedLoader.made = [];
  const engine = new Engine(
    resolveConfig({ origins: [{ baseUrl: 'http://a.test/' }, { baseUrl: 'http://b.test/', weight: 1 }] }),
    { createTrackerClient: () => assert.fail('no tracker'), random: () => 0.5, nowMs: () => 0 },
  );
  engine.playback.follow({ media: { readyState: 4, currentTime: 0, playbackRate: 1 } as unknown as HTMLMediaElement });
  const routing = useOrigins(engine);
  const Loader = createFragmentLoaderClass(engine, routing.fragmentHttpLoader);
  const calls: string[] = [];
  const load = (sn: number, start: number): Loader<FragmentLoaderContext> => {
    const loader = new Loader({ loader: ScriptedLoader } as unknown as HlsConfig);
    loader.load(contextOf(sn, start), LOADER_CONFIG, {
      onSuccess: (response) => calls.push(`success ${(response.data as ArrayBuffer).byteLength} ${response.url}`),
      onError: (error) => calls.push(`error ${error.code}`),
      onTimeout: () => calls.push('timeout'),
      onAbort: () => calls.push('abort'),
    });
    return loader;
  };
  // A first segment, far ahead (not hedged), measures origin A: 100 KB in 500 ms → a 100 KB
  // segment is expected in 500 ms, so a request is late after 1000 ms.
  load(0, 30);
  ScriptedLoader.made[0]?.succeed(100_000, 500);
  mock.timers.tick(0);
  calls.length = 0;
  ScriptedLoader.made = [];
  const loader = load(1, secondsAhead);
  return { engine, routing, loader, calls };
}

function contextOf(sn: number, start: number): FragmentLoaderContext {
  return {
    url: `http://a.test/vod/180p/seg_00${sn}.ts`,
    responseType: 'arraybuffer',
    rangeStart: 0,
    rangeEnd: 0,
    part: null,
    frag: { sn, level: 0, type: 'main', baseurl: 'http://a.test/vod/180p/index.m3u8', start },
  } as unknown as FragmentLoaderContext;
}

describe('origin loader on a fake clock: hedged requests', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('sends a hedge to the other origin when an urgent request runs past twice the expected time; the first response wins, the other is aborted and its bytes counted', () => {
    const { engine, routing, calls } = setup(4);
    const [first] = ScriptedLoader.made;
    // By weight, B's turn (A served the first segment); the playlist's URLs are under A.
    assert.equal(first?.url, 'http://b.test/vod/180p/seg_001.ts');
    mock.timers.tick(999);
    assert.equal(ScriptedLoader.made.length, 1, 'not hedged before twice the expected 500 ms');
    mock.timers.tick(1);
    const [, hedge] = ScriptedLoader.made;
    assert.equal(hedge?.url, 'http://a.test/vod/180p/seg_001.ts');
    first?.progress(30_000);
    hedge?.succeed(100_000);
    assert.deepEqual([first?.destroyed, hedge?.destroyed], [true, false], 'the slower request is stopped');
    assert.deepEqual(
      routing.info().map(({ bytes }) => bytes),
      [200_000, 30_000],
    );
    mock.timers.tick(0); // hls.js's callbacks
    // hls.js hears of one success, under the URL it asked for.
    assert.deepEqual(calls, ['success 100000 http://a.test/vod/180p/seg_001.ts']);
    assert.equal(engine.stats().httpBytes, 230_000, 'the aborted request still cost the origin');
    engine.destroy();
  });

  it('keeps the first request when it wins the race, and stops the hedge', () => {
    const { engine, calls } = setup(4);
    mock.timers.tick(1000);
    const [first, hedge] = ScriptedLoader.made;
    first?.succeed(100_000);
    assert.deepEqual([first?.destroyed, hedge?.destroyed], [false, true]);
    assert.deepEqual(calls, ['success 100000 http://a.test/vod/180p/seg_001.ts']);
    engine.destroy();
  });

  it('does not hedge a segment needed later than the urgent window', () => {
    const { engine } = setup(20);
    mock.timers.tick(60_000);
    assert.equal(ScriptedLoader.made.length, 1);
    engine.destroy();
  });

  it('waits for the hedge when the first request fails while it runs, and reports no error', () => {
    const { engine, calls } = setup(4);
    mock.timers.tick(1000);
    const [first, hedge] = ScriptedLoader.made;
    first?.fail(503);
    assert.equal(ScriptedLoader.made.length, 2, 'no third request while the hedge runs');
    hedge?.succeed(1000);
    assert.deepEqual(calls, ['success 1000 http://a.test/vod/180p/seg_001.ts']);
    engine.destroy();
  });

  it('reports the last error only when every origin failed', () => {
    const { engine, calls } = setup(30);
    ScriptedLoader.made[0]?.fail(503);
    ScriptedLoader.made[1]?.fail(502);
    assert.deepEqual(calls, ['error 502']);
    engine.destroy();
  });

  it('tries the other origin after a 404 but keeps the first in rotation; a segment missing on both is an error and takes neither out', () => {
    const { engine, routing, calls } = setup(30);
    const states: string[] = [];
    engine.events.on('origin-state', (event) => states.push(`${event.baseUrl} ${event.reason}`));
    // Segment 1 went to B (A's turn was segment 0): B answers 404, A serves it.
    ScriptedLoader.made[0]?.fail(404);
    assert.equal(ScriptedLoader.made[1]?.url, 'http://a.test/vod/180p/seg_001.ts');
    ScriptedLoader.made[1]?.succeed(1000);
    assert.deepEqual(calls, ['success 1000 http://a.test/vod/180p/seg_001.ts']);
    assert.deepEqual(
      routing.info().map((origin) => [origin.up, origin.errors]),
      [
        [true, 0],
        [true, 1],
      ],
    );
    // A live segment not published anywhere yet: 404 on both, hls.js hears it, both stay in.
    calls.length = 0;
    ScriptedLoader.made = [];
    const Loader = createFragmentLoaderClass(engine, routing.fragmentHttpLoader);
    new Loader({ loader: ScriptedLoader } as unknown as HlsConfig).load(contextOf(2, 30), LOADER_CONFIG, {
      onSuccess: () => calls.push('success'),
      onError: (error) => calls.push(`error ${error.code}`),
      onTimeout: () => calls.push('timeout'),
    });
    ScriptedLoader.made[0]?.fail(404);
    ScriptedLoader.made[1]?.fail(404);
    assert.deepEqual(calls, ['error 404']);
    assert.deepEqual(
      routing.info().map((origin) => origin.up),
      [true, true],
    );
    assert.deepEqual(states, []);
    engine.destroy();
  });

  it('takes an origin out once 404s repeat over several segments while the other serves them', () => {
    const { engine, routing } = setup(30);
    let notFoundFromB = 0;
    const states: string[] = [];
    engine.events.on('origin-state', (event) =>
      states.push(`${event.baseUrl} ${event.up} ${event.reason} after ${notFoundFromB} 404s`),
    );
    const Loader = createFragmentLoaderClass(engine, routing.fragmentHttpLoader);
    const noop = { onSuccess: () => undefined, onError: () => undefined, onTimeout: () => undefined };
    // B misses every segment; A has them. Each request is answered until one succeeds.
    for (let sn = 1; sn < 12 && states.length === 0; sn++) {
      if (sn > 1)
        new Loader({ loader: ScriptedLoader } as unknown as HlsConfig).load(contextOf(sn, 30), LOADER_CONFIG, noop);
      for (let pending = ScriptedLoader.made.find((made) => made.callbacks !== null); pending !== undefined; ) {
        if (pending.url.startsWith('http://b.test/')) {
          notFoundFromB += 1;
          pending.fail(404);
        } else pending.succeed(1000);
        pending.callbacks = null;
        pending = ScriptedLoader.made.find((made) => made.callbacks !== null);
      }
    }
    assert.deepEqual(states, [`http://b.test/ false not-found after ${NOT_FOUND_LIMIT} 404s`]);
    engine.destroy();
  });

  it('after hls.js aborts, reports the abort once and stops both requests; nothing fires after destroy', () => {
    const { engine, loader, calls } = setup(4);
    mock.timers.tick(1000);
    loader.abort();
    assert.deepEqual(
      ScriptedLoader.made.map((made) => made.destroyed),
      [true, true],
    );
    loader.destroy();
    mock.timers.tick(60_000);
    assert.deepEqual(calls, ['abort']);
    assert.equal(ScriptedLoader.made.length, 2);
    engine.destroy();
  });
});
