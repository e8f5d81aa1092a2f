import assert from 'node:assert/strict';
import type { FragmentLoaderContext, HlsConfig, LoaderCallbacks, LoaderConfiguration, LoaderStats } from 'hls.js';
import { resolveConfig, type OriginSetting } from '../../lib/api/config.ts';
import type { OriginStateEvent } from '../../lib/api/events.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { createFragmentLoaderClass } from '../../lib/hls/fragment-loader.ts';
import { useOrigins, type OriginRouting } from '../../lib/hls/origin-routing.ts';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import { NodeHttpLoader } from '../helpers/node-http-loader.ts';

const LOADER_CONFIG = {
  loadPolicy: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 30_000, timeoutRetry: null, errorRate: null },
} as unknown as LoaderConfiguration;
const SEGMENTS = 30; // fixtures/sample/180p

// hls.js's default loader stand-in, remembering every instance so a test can see which were aborted.
const loaders: RecordingLoader[] = [];
class RecordingLoader extends NodeHttpLoader {
  url = '';
  aborted = false;
  constructor(config: unknown) {
    super(config);
    loaders.push(this);
  }
  override load(
    context: FragmentLoaderContext,
    config: LoaderConfiguration,
    callbacks: LoaderCallbacks<FragmentLoaderContext>,
  ): void {
    this.url = context.url;
    super.load(context, config, callbacks);
  }
  override abort(): void {
    this.aborted = true;
    super.abort();
  }
}

type Outcome = { kind: 'success'; bytes: number; stats: LoaderStats } | { kind: 'error' | 'timeout' | 'abort' };

describe('origins: failover, weights and hedging with real HTTP origins on 127.0.0.1', function () {
  let a: OriginServer;
  let b: OriginServer;
  let engine: Engine;
  let routing: OriginRouting;
  let clockMs = 0;
  let events: OriginStateEvent[] = [];
  let media: { readyState: number; currentTime: number; playbackRate: number } | null = null;

  beforeEach(async () => {
    [a, b] = await Promise.all([startOriginServer(), startOriginServer()]);
    loaders.length = 0;
    clockMs = 0;
    events = [];
    media = null;
  });
  afterEach(async () => {
    engine.destroy();
    await Promise.all([a.close(), b.close()]);
  });

  function start(weights: [number, number]): ReturnType<typeof createFragmentLoaderClass> {
    const origins: OriginSetting[] = [
      { baseUrl: `${a.url}/`, weight: weights[0] },
      { baseUrl: `${b.url}/`, weight: weights[1] },
    ];
    // HTTP only (no tracker): every segment goes through the origins.
    engine = new Engine(resolveConfig({ origins }), {
      createTrackerClient: () => assert.fail(),
      random: Math.random,
      nowMs: () => clockMs,
    });
    engine.events.on('origin-state', (event) => events.push(event));
    if (media !== null) engine.playback.follow({ media: media as unknown as HTMLMediaElement });
    routing = useOrigins(engine);
    return createFragmentLoaderClass(engine, routing.fragmentHttpLoader);
  }

  // One hls.js fragment load of segment `sn` (its URL on origin A, as the playlist says) to its end.
  function load(Loader: ReturnType<typeof createFragmentLoaderClass>, sn: number): Promise<Outcome> {
    const loader = new Loader({ loader: RecordingLoader } as unknown as HlsConfig);
    const name = `seg_${String(sn).padStart(3, '0')}.ts`;
    const context = {
      url: `${a.url}/vod/180p/${name}`,
      responseType: 'arraybuffer',
      rangeStart: 0,
      rangeEnd: 0,
      part: null,
      frag: { sn, level: 0, type: 'main', baseurl: `${a.url}/vod/180p/index.m3u8`, start: sn * 2, duration: 2 },
    } as unknown as FragmentLoaderContext;
    return new Promise((resolve) => {
      loader.load(context, LOADER_CONFIG, {
        onSuccess: (response, stats) =>
          resolve({ kind: 'success', bytes: (response.data as ArrayBuffer).byteLength, stats }),
        onError: () => resolve({ kind: 'error' }),
        onTimeout: () => resolve({ kind: 'timeout' }),
        onAbort: () => resolve({ kind: 'abort' }),
      });
    });
  }

  const segmentBytes = (origin: OriginServer): number => origin.counts().segmentBytes;

  it('retries a 503 at once on the other origin inside the same load, and takes the failing one out', async () => {
    const Loader = start([1, 1]);
    a.setFaults({ errorRate: 1 });
    const outcome = await load(Loader, 0);
    assert.equal(outcome.kind, 'success');
    assert.deepEqual(
      loaders.map((loader) => new URL(loader.url).port),
      [String(a.port), String(b.port)],
    );
    assert.equal(a.failedRequests, 1);
    assert.equal(segmentBytes(b), outcome.kind === 'success' ? outcome.bytes : -1);
    assert.deepEqual(
      events.map(({ baseUrl, up, reason }) => [baseUrl, up, reason]),
      [[`${a.url}/`, false, 'error']],
    );
    const [infoA, infoB] = routing.info();
    assert.deepEqual([infoA?.up, infoA?.errors, infoB?.requests, infoB?.bytes], [false, 1, 1, segmentBytes(b)]);
  });

  it('moves to the other origin when one refuses connections, and never tells hls.js of an error', async () => {
    const Loader = start([1, 1]);
    await a.stop();
    for (let sn = 0; sn < 4; sn++) assert.equal((await load(Loader, sn)).kind, 'success');
    assert.equal(segmentBytes(a), 0);
    assert.equal(routing.info()[0]?.errors, 1, 'tried once, then backing off');
  });

  it('splits HTTP bytes by weight within 5 points over a run', async () => {
    const Loader = start([3, 1]);
    for (let sn = 0; sn < SEGMENTS; sn++) assert.equal((await load(Loader, sn)).kind, 'success');
    const share = segmentBytes(a) / (segmentBytes(a) + segmentBytes(b));
    assert.ok(Math.abs(share - 0.75) <= 0.05, `origin A served ${(share * 100).toFixed(1)}% of the bytes, weight 75%`);
  });

  it('loses nothing when an origin fails mid-run (5xx, then stopped), and gets its share back after it recovers', async () => {
    const Loader = start([1, 1]);
    const servedBy: string[] = [];
    const run = async (from: number, to: number): Promise<void> => {
      for (let sn = from; sn < to; sn++) {
        const before = segmentBytes(a);
        const outcome = await load(Loader, sn % SEGMENTS);
        assert.equal(outcome.kind, 'success', `segment ${sn}`);
        servedBy.push(segmentBytes(a) > before ? 'a' : 'b');
        clockMs += 2000; // a segment's worth of playback between loads
      }
    };
    await run(0, 10);
    a.setFaults({ errorRate: 1 });
    await run(10, 16);
    await a.stop();
    await run(16, 24);
    await a.resume();
    a.setFaults({});
    await run(24, 50);
    assert.deepEqual(servedBy.slice(10, 24), Array(14).fill('b'), 'nothing from A while it fails');
    const back = servedBy.indexOf('a', 24);
    assert.ok(back !== -1 && back - 24 <= 20, `A served again from segment ${back} (recovered at 24)`);
    const lastTen = servedBy.slice(40);
    assert.deepEqual([lastTen.filter((x) => x === 'a').length, lastTen.length], [5, 10], 'even split again');
    assert.deepEqual(
      events.map(({ up }) => up),
      [false, true],
    );
  });

  it('hedges an urgent segment whose request is late: the other origin wins and the late request is aborted', async () => {
    media = { readyState: 0, currentTime: 0, playbackRate: 1 }; // playback starting: every segment is urgent
    const Loader = start([1, 1]);
    a.setFaults({ addedLatencyMs: 60_000 });
    const outcome = await load(Loader, 0);
    assert.equal(outcome.kind, 'success');
    const [late, hedge] = loaders;
    assert.equal(new URL(late?.url ?? '').port, String(a.port));
    assert.equal(new URL(hedge?.url ?? '').port, String(b.port));
    assert.equal(late?.aborted, true, 'the late request was aborted');
    assert.equal(hedge?.aborted, false);
    assert.equal(segmentBytes(a), 0);
    assert.ok(outcome.kind === 'success' && outcome.stats.loaded === outcome.bytes, 'hls.js sees the winner’s stats');
    assert.equal(engine.stats().httpBytes, outcome.kind === 'success' ? outcome.bytes : -1);
  });
});
