import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Hls, {
  type FragmentLoaderContext,
  type LoaderConfiguration,
  type LoaderResponse,
  type LoaderStats,
} from 'hls.js';
import { canFetchSegments, FetchFragmentLoader } from '../../lib/hls/fetch-loader.ts';

// The fetch loader peercdn uses for segments in place of hls.js's XHR loader, against a real HTTP
// server on 127.0.0.1: it must keep hls.js's loader contract (what hls.js's own FetchLoader does for
// fragments) and stream a segment's bytes as they arrive.

const BODY = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));
const HALF = 20_000;

// Resolves when a request or response closes (a dropped request also emits 'error': not a failure here).
const closed = (stream: IncomingMessage | ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    stream.on('error', () => undefined);
    stream.once('close', () => resolve());
  });

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

// What onProgress gave, and a wait for a byte count of it.
class Received {
  readonly chunks: Buffer[] = [];
  #waiters: { readonly bytes: number; readonly resolve: () => void }[] = [];

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    const bytes = this.bytes;
    for (const waiter of this.#waiters.filter((w) => w.bytes <= bytes)) waiter.resolve();
    this.#waiters = this.#waiters.filter((w) => w.bytes > bytes);
  }

  get bytes(): number {
    return this.chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  }

  until(bytes: number): Promise<void> {
    if (this.bytes >= bytes) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ bytes, resolve }));
  }
}

interface Outcome {
  readonly kind: 'success' | 'error' | 'timeout' | 'abort';
  readonly response?: LoaderResponse;
  readonly code?: number;
  readonly stats: LoaderStats;
}

describe('FetchFragmentLoader (segments over fetch, streaming)', function () {
  let server: Server;
  let url: string;
  let handler: Handler = () => undefined;
  const requests: IncomingMessage[] = [];

  before(async () => {
    server = createServer((request, response) => {
      requests.push(request);
      handler(request, response);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/seg_0.ts`;
  });
  afterEach(() => {
    requests.length = 0;
    server.closeAllConnections();
  });
  after(async () => {
    server.close();
    await once(server, 'close');
  });

  const context = (extra: Partial<FragmentLoaderContext> = {}): FragmentLoaderContext =>
    ({ url, responseType: 'arraybuffer', frag: { sn: 0 }, part: null, ...extra }) as unknown as FragmentLoaderContext;
  // What hls.js passes a fragment loader (fragLoadPolicy without retries), with the first-byte bound given.
  const config = (maxTimeToFirstByteMs = 10_000): LoaderConfiguration =>
    ({
      loadPolicy: { maxTimeToFirstByteMs, maxLoadTimeMs: 60_000, timeoutRetry: null, errorRetry: null },
      highWaterMark: 16_384,
    }) as LoaderConfiguration;

  // Starts a load; `ended` resolves with how it ended, `calls` names each callback as it came
  // (onProgress aside). `received` collects what onProgress gave (when asked for).
  function load(
    loader: FetchFragmentLoader,
    ctx: FragmentLoaderContext,
    received: Received | null,
    cfg = config(),
  ): { ended: Promise<Outcome>; calls: string[] } {
    let end: (outcome: Outcome) => void = () => undefined;
    const ended = new Promise<Outcome>((resolve) => (end = resolve));
    const calls: string[] = [];
    const ending = (outcome: Outcome): void => {
      calls.push(outcome.kind);
      end(outcome);
    };
    loader.load(ctx, cfg, {
      onSuccess: (response, stats) => ending({ kind: 'success', response, stats }),
      onError: (error, _ctx, _details, stats) => ending({ kind: 'error', code: error.code, stats }),
      onTimeout: (stats) => ending({ kind: 'timeout', stats }),
      onAbort: (stats) => ending({ kind: 'abort', stats }),
      ...(received === null
        ? {}
        : { onProgress: (_stats, _ctx, data) => received.push(Buffer.from(data as ArrayBuffer)) }),
    });
    return { ended, calls };
  }

  // Sends the first half with the full Content-Length and resolves; `rest()` sends the remainder.
  function halfThenRest(): { halfSent: Promise<ServerResponse>; rest: () => void } {
    let sent: (response: ServerResponse) => void = () => undefined;
    const halfSent = new Promise<ServerResponse>((resolve) => (sent = resolve));
    let response: ServerResponse | undefined;
    handler = (_request, res) => {
      response = res;
      res.writeHead(200, { 'content-length': BODY.byteLength, 'content-type': 'video/mp2t' });
      res.write(BODY.subarray(0, HALF), () => sent(res));
    };
    return { halfSent, rest: () => response?.end(BODY.subarray(HALF)) };
  }

  it('streams the body through onProgress while it arrives, then succeeds with no data', async () => {
    const { halfSent, rest } = halfThenRest();
    const loader = new FetchFragmentLoader({});
    const received = new Received();
    const { ended } = load(loader, context(), received);
    await halfSent;
    // The server holds the second half back: what onProgress gave so far arrived mid-response.
    await received.until(HALF);
    assert.equal(received.bytes, HALF);
    assert.equal(loader.stats.loaded, HALF);
    assert.equal(loader.stats.total, BODY.byteLength, 'the declared length is known from the start');
    rest();
    const outcome = await ended;
    assert.equal(outcome.kind, 'success');
    assert.equal((outcome.response?.data as ArrayBuffer).byteLength, 0, 'a streamed load ends empty');
    assert.equal(outcome.response?.code, 200);
    assert.deepEqual(Buffer.concat(received.chunks), BODY);
    const { loading, loaded, total } = outcome.stats;
    assert.equal(loaded, BODY.byteLength);
    assert.equal(total, BODY.byteLength);
    assert.ok(loading.start > 0 && loading.first >= loading.start && loading.end >= loading.first);
    assert.equal(loader.getResponseHeader('content-type'), 'video/mp2t');
    loader.destroy();
  });

  it('without onProgress, succeeds with the whole body', async () => {
    handler = (_request, res) => res.end(BODY);
    const loader = new FetchFragmentLoader({});
    const outcome = await load(loader, context(), null).ended;
    assert.equal(outcome.kind, 'success');
    assert.deepEqual(Buffer.from(outcome.response?.data as ArrayBuffer), BODY);
    assert.equal(outcome.stats.loaded, BODY.byteLength);
    assert.equal(outcome.stats.total, BODY.byteLength);
  });

  it('asks for a byte range with Range, and counts the range as the total', async () => {
    handler = (request, res) => {
      const [, from, to] = /bytes=(\d+)-(\d+)/.exec(request.headers.range ?? '') ?? [];
      const body = BODY.subarray(Number(from), Number(to) + 1);
      res.writeHead(206, {
        'content-range': `bytes ${from}-${to}/${BODY.byteLength}`,
        'content-length': body.byteLength,
      });
      res.end(body);
    };
    const received = new Received();
    const outcome = await load(new FetchFragmentLoader({}), context({ rangeStart: 100, rangeEnd: 1100 }), received)
      .ended;
    assert.equal(requests[0]?.headers.range, 'bytes=100-1099');
    assert.equal(outcome.kind, 'success');
    assert.equal(outcome.response?.code, 206);
    assert.deepEqual(Buffer.concat(received.chunks), BODY.subarray(100, 1100));
    assert.equal(outcome.stats.total, 1000);
  });

  it('calls fetchSetup for the request, as hls.js does', async () => {
    handler = (_request, res) => res.end(BODY);
    const seen: string[] = [];
    const loader = new FetchFragmentLoader({
      fetchSetup: (ctx, init: RequestInit) => {
        seen.push(ctx.url);
        (init.headers as Headers).set('x-token', 'secret');
        return new Request(ctx.url, init);
      },
    });
    const outcome = await load(loader, context(), null).ended;
    assert.equal(outcome.kind, 'success');
    assert.deepEqual(seen, [url]);
    assert.equal(requests[0]?.headers['x-token'], 'secret');
  });

  it('reports an HTTP error status as onError with that code', async () => {
    handler = (_request, res) => {
      res.writeHead(404);
      res.end('not here');
    };
    const received = new Received();
    const outcome = await load(new FetchFragmentLoader({}), context(), received).ended;
    assert.equal(outcome.kind, 'error');
    assert.equal(outcome.code, 404);
    assert.equal(received.bytes, 0, 'no byte of an error page reaches onProgress');
  });

  it('reports a refused connection as onError with code 0', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const outcome = await load(
      new FetchFragmentLoader({}),
      context({ url: `http://127.0.0.1:${port}/seg_0.ts` }),
      new Received(),
    ).ended;
    assert.equal(outcome.kind, 'error');
    assert.equal(outcome.code, 0);
  });

  it('times out when the first byte does not come within maxTimeToFirstByteMs, and drops the request', async () => {
    handler = () => undefined; // never answers
    const loader = new FetchFragmentLoader({});
    const { ended } = load(loader, context(), new Received(), config(50));
    const outcome = await ended;
    assert.equal(outcome.kind, 'timeout');
    assert.equal(outcome.stats.aborted, true);
    const request = requests[0];
    assert.ok(request !== undefined);
    if (!request.destroyed) await closed(request);
    assert.equal(request.destroyed, true, 'the request was dropped');
  });

  it('without onProgress, counts the body as it arrives; a load that stalls after its first byte times out at maxLoadTimeMs', async () => {
    const { halfSent } = halfThenRest();
    const loader = new FetchFragmentLoader({});
    const cfg = config();
    const { ended, calls } = load(loader, context(), null, {
      ...cfg,
      loadPolicy: { ...cfg.loadPolicy, maxLoadTimeMs: 1_000 },
    });
    await halfSent;
    const outcome = await ended;
    assert.equal(outcome.kind, 'timeout');
    assert.equal(outcome.stats.loaded, HALF, 'the bytes that came before the stall are counted');
    assert.deepEqual(calls, ['timeout']);
  });

  it('reports one outcome: no timeout fires after a success', async () => {
    handler = (request, res) => {
      if (request.url?.endsWith('never.ts')) return; // the probe below: never answered
      res.end(BODY);
    };
    const cfg = config();
    const short = { ...cfg, loadPolicy: { ...cfg.loadPolicy, maxTimeToFirstByteMs: 50, maxLoadTimeMs: 50 } };
    const { ended, calls } = load(new FetchFragmentLoader({}), context(), new Received(), short);
    assert.equal((await ended).kind, 'success');
    // A probe whose own first-byte timeout (100 ms, started now) fires after the first load's
    // would have: once it fired, the first load's timer had its chance.
    const probe = load(new FetchFragmentLoader({}), context({ url: url.replace('seg_0.ts', 'never.ts') }), null, {
      ...cfg,
      loadPolicy: { ...cfg.loadPolicy, maxTimeToFirstByteMs: 100 },
    });
    assert.equal((await probe.ended).kind, 'timeout');
    assert.deepEqual(calls, ['success']);
  });

  it('abort() mid-body reports onAbort once and nothing after it; the request is dropped', async () => {
    const { halfSent, rest } = halfThenRest();
    const loader = new FetchFragmentLoader({});
    const received = new Received();
    const { ended, calls } = load(loader, context(), received);
    const response = await halfSent;
    await received.until(HALF);
    loader.abort();
    const outcome = await ended;
    assert.equal(outcome.kind, 'abort');
    assert.equal(outcome.stats.aborted, true);
    if (!response.destroyed) await closed(response);
    rest();
    // Nothing more arrives from a dropped request; give the loader's promise chain its turns.
    for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, ['abort']);
    assert.equal(received.bytes, HALF);
  });

  it('destroy() mid-body reports nothing', async () => {
    const { halfSent } = halfThenRest();
    const loader = new FetchFragmentLoader({});
    const received = new Received();
    const { calls } = load(loader, context(), received);
    const response = await halfSent;
    await received.until(HALF);
    loader.destroy();
    if (!response.destroyed) await closed(response);
    for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, []);
    assert.equal(received.bytes, HALF, 'no chunk after destroy');
  });

  describe('canFetchSegments', () => {
    class OwnLoader extends Hls.DefaultConfig.loader {}

    it('is true for hls.js with its default loader and no xhrSetup', () => {
      const hls = new Hls();
      try {
        assert.equal(canFetchSegments(hls), true);
      } finally {
        hls.destroy();
      }
    });

    it('is true with xhrSetup when a fetchSetup comes with it', () => {
      const hls = new Hls({
        xhrSetup: () => undefined,
        fetchSetup: (context, init: RequestInit) => new Request(context.url, init),
      });
      try {
        assert.equal(canFetchSegments(hls), true);
      } finally {
        hls.destroy();
      }
    });

    it("is false for a site's loader installed as hls.js's default", () => {
      const defaults = Hls.DefaultConfig;
      Hls.DefaultConfig = { ...defaults, loader: OwnLoader };
      const hls = new Hls();
      try {
        assert.equal(hls.config.loader, Hls.DefaultConfig.loader);
        assert.equal(canFetchSegments(hls), false);
      } finally {
        hls.destroy();
        Hls.DefaultConfig = defaults;
      }
    });

    it("is false with a site's xhrSetup alone, a site's own loader, or an object that is not hls.js", () => {
      const withSetup = new Hls({ xhrSetup: () => undefined });
      const withLoader = new Hls({ loader: OwnLoader });
      try {
        assert.equal(canFetchSegments(withSetup), false);
        assert.equal(canFetchSegments(withLoader), false);
      } finally {
        withSetup.destroy();
        withLoader.destroy();
      }
      assert.equal(canFetchSegments({}), false);
      assert.equal(canFetchSegments({ config: { loader: Hls.DefaultConfig.loader } }), false);
      assert.equal(canFetchSegments(Object.create(null) as object), false);
    });
  });
});
