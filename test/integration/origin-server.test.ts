import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import { parseHashManifest } from '../../lib/shared/hash-manifest.ts';
import { createHash } from 'node:crypto';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
const PAGES = fileURLToPath(new URL('../browser/pages/', import.meta.url));
const fixture = (path: string): Buffer => readFileSync(join(SAMPLE, path));
const LARGE_FILE_BYTES = 48 * 1024 * 1024;

/** A raw GET that sends the path exactly as given (fetch would normalise `..` away). */
function rawGet(origin: OriginServer, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: origin.port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('origin server', () => {
  let clockMs: number;
  let origin: OriginServer;
  let bigDir: string;

  before(() => {
    bigDir = mkdtempSync(join(tmpdir(), 'peercdn-origin-'));
    writeFileSync(join(bigDir, 'big.json'), Buffer.alloc(LARGE_FILE_BYTES, 0x20));
  });
  after(() => rmSync(bigDir, { recursive: true, force: true }));

  beforeEach(async () => {
    clockMs = 1_000_000;
    origin = await startOriginServer({ staticRoutes: { '/pages/': PAGES, '/big/': bigDir }, nowMs: () => clockMs });
  });
  afterEach(() => origin.close());

  const get = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${origin.url}${path}`, init);
  const bytesOf = async (path: string, init: RequestInit = {}): Promise<Buffer> =>
    Buffer.from(await (await get(path, init)).arrayBuffer());

  it('serves the VOD master and media playlists as they are in the fixture', async () => {
    const master = await get('/vod/master.m3u8');
    assert.equal(master.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    const masterText = await master.text();
    assert.equal(masterText, fixture('master.m3u8').toString());
    for (const rendition of ['180p', '240p']) {
      assert.match(
        masterText,
        new RegExp(
          `BANDWIDTH=\\d+,RESOLUTION=\\d+x\\d+,CODECS="avc1\\.[0-9a-f]{6},mp4a\\.40\\.2"\\n${rendition}/index\\.m3u8`,
        ),
      );
      assert.equal(
        await (await get(`/vod/${rendition}/index.m3u8`)).text(),
        fixture(`${rendition}/index.m3u8`).toString(),
      );
    }
  });

  it('serves VOD segments byte-identical to the fixture files, uncached, with Range support announced', async () => {
    const response = await get('/vod/180p/seg_003.ts');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'video/mp2t');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), fixture('180p/seg_003.ts'));
    assert.deepEqual(await bytesOf('/vod/240p/seg_029.ts'), fixture('240p/seg_029.ts'));
  });

  it('answers the three Range forms with 206 and the right bytes, and 416 when unsatisfiable', async () => {
    const file = fixture('240p/seg_001.ts');
    const size = file.byteLength;
    for (const [header, start, end] of [
      ['bytes=100-199', 100, 199],
      [`bytes=${size - 10}-`, size - 10, size - 1],
      ['bytes=-50', size - 50, size - 1],
    ] as const) {
      const partial = await get('/vod/240p/seg_001.ts', { headers: { Range: header } });
      assert.equal(partial.status, 206, header);
      assert.equal(partial.headers.get('content-range'), `bytes ${start}-${end}/${size}`);
      assert.equal(partial.headers.get('content-length'), String(end - start + 1));
      assert.deepEqual(Buffer.from(await partial.arrayBuffer()), file.subarray(start, end + 1));
    }
    const beyond = await get('/vod/240p/seg_001.ts', { headers: { Range: `bytes=${size}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${size}`);
    await beyond.arrayBuffer();
    assert.equal(origin.counts().segmentBytes, 100 + 10 + 50);
  });

  it('counts exactly the body bytes received, in total, per path and per viewer by header or query', async () => {
    const a = await bytesOf('/vod/180p/seg_000.ts', { headers: { 'X-Viewer-Id': 'alice' } });
    const b = await bytesOf('/vod/180p/seg_001.ts?viewer=bob');
    const c = await bytesOf('/vod/180p/seg_001.ts', { headers: { Range: 'bytes=0-99', 'X-Viewer-Id': 'alice' } });
    const d = await bytesOf('/vod/240p/seg_002.ts');
    const playlist = await bytesOf('/vod/180p/index.m3u8?viewer=bob');
    const page = await bytesOf('/pages/viewer.html');
    await (await get('/nope')).arrayBuffer();
    await (await get('/vod/180p/seg_000.ts', { method: 'HEAD' })).arrayBuffer();
    const counts = origin.counts();
    assert.equal(counts.segmentBytes, a.byteLength + b.byteLength + c.byteLength + d.byteLength);
    assert.equal(counts.playlistBytes, playlist.byteLength);
    assert.equal(counts.totalBytes, counts.segmentBytes + counts.playlistBytes + page.byteLength);
    assert.equal(counts.requests, 6);
    assert.equal(counts.segmentRequests, 4);
    assert.deepEqual(counts.byPath, {
      '/vod/180p/seg_000.ts': a.byteLength,
      '/vod/180p/seg_001.ts': b.byteLength + 100,
      '/vod/240p/seg_002.ts': d.byteLength,
      '/vod/180p/index.m3u8': playlist.byteLength,
      '/pages/viewer.html': page.byteLength,
    });
    assert.deepEqual(counts.byViewer, {
      alice: { segmentBytes: a.byteLength + 100, segmentRequests: 2 },
      bob: { segmentBytes: b.byteLength, segmentRequests: 1 },
      anonymous: { segmentBytes: d.byteLength, segmentRequests: 1 },
    });
  });

  it('reports the counts over HTTP without counting that request, and resets them', async () => {
    const segment = await bytesOf('/vod/180p/seg_000.ts');
    const overHttp: unknown = await (await get('/counts')).json();
    assert.deepEqual(overHttp, origin.counts());
    assert.equal(origin.counts().totalBytes, segment.byteLength);
    const reset = await get('/counts/reset', { method: 'POST' });
    assert.equal(reset.status, 204);
    assert.deepEqual(origin.counts(), {
      totalBytes: 0,
      segmentBytes: 0,
      playlistBytes: 0,
      requests: 0,
      segmentRequests: 0,
      byPath: {},
      byViewer: {},
    });
    await bytesOf('/vod/180p/seg_000.ts');
    origin.resetCounts();
    assert.equal(origin.counts().totalBytes, 0);
  });

  it('counts only what reached the socket when a client aborts a large response', async () => {
    let receivedBytes = 0;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: origin.port, path: '/big/big.json', agent: false }, (res) => {
        res.once('data', (chunk: Buffer) => {
          receivedBytes = chunk.byteLength;
          req.destroy();
          resolve();
        });
      });
      req.on('error', (error) => (receivedBytes > 0 ? undefined : reject(error)));
      req.end();
    });
    // The server learns of the abort asynchronously; wait for its correction (bounded by mocha's timeout).
    while (origin.counts().totalBytes === LARGE_FILE_BYTES) await new Promise((resolve) => setImmediate(resolve));
    const counted = origin.counts().totalBytes;
    assert.ok(
      counted >= receivedBytes && counted < LARGE_FILE_BYTES,
      `counted ${counted} of ${LARGE_FILE_BYTES}, received ${receivedBytes}`,
    );
    assert.equal(origin.counts().requests, 1);
  }).timeout(10_000);

  it('answers CORS preflights with 204 and sets CORS headers on every response', async () => {
    const preflight = await get('/vod/180p/seg_000.ts', {
      method: 'OPTIONS',
      headers: { Origin: 'http://elsewhere', 'Access-Control-Request-Headers': 'range,x-viewer-id' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /\bRange\b.*\bX-Viewer-Id\b/);
    for (const path of ['/vod/master.m3u8', '/nope', '/counts']) {
      const response = await get(path);
      assert.equal(response.headers.get('access-control-allow-origin'), '*', path);
      assert.equal(
        response.headers.get('access-control-expose-headers'),
        'Content-Length, Content-Range, Accept-Ranges',
      );
      await response.arrayBuffer();
    }
    assert.equal(origin.counts().requests, 1);
  });

  it('answers 404 for unknown paths and segments, 405 for other methods, and ok on /health', async () => {
    for (const path of [
      '/nope',
      '/vod/999p/index.m3u8',
      '/vod/180p/seg_030.ts',
      '/vod/180p/seg_3.ts',
      '/vod/180p/other.ts',
      '/vod/',
      '/pages/missing.html',
      '/pages/',
    ]) {
      const response = await get(path);
      assert.equal(response.status, 404, path);
      await response.arrayBuffer();
    }
    for (const method of ['PUT', 'DELETE', 'POST']) {
      const response = await get('/vod/master.m3u8', { method });
      assert.equal(response.status, 405, method);
      await response.arrayBuffer();
    }
    assert.equal((await rawGet(origin, '/vod/%E0%A4%A')).status, 400);
    const health = await get('/health');
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok');
  });

  it('serves static routes with their content type and refuses paths that leave the route directory', async () => {
    const page = await get('/pages/viewer.html');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.equal(await page.text(), readFileSync(join(PAGES, 'viewer.html'), 'utf8'));
    const attempts = [
      '/pages/../../../package.json',
      '/pages/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/pages/..%2f..%2f..%2fpackage.json',
      '/pages/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
      '/pages/%2E%2E%2F%2E%2E%2F%2E%2E%2Fpackage.json',
      '/pages//work/main/package.json',
      '/pages/viewer.html%00.png',
    ];
    for (const path of attempts) {
      const response = await rawGet(origin, path);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(response.body.toString(), /peercdn/, path);
    }
  });

  it('serves the live master like the VOD master and a live window that advances with the clock', async () => {
    assert.equal(await (await get('/live/master.m3u8')).text(), fixture('master.m3u8').toString());
    const first = await (await get('/live/180p/index.m3u8')).text();
    assert.match(first, /#EXT-X-MEDIA-SEQUENCE:0\n/);
    assert.deepEqual(
      [...first.matchAll(/^seg_(\d+)\.ts$/gm)].map((m) => Number(m[1])),
      [0, 1, 2, 3, 4, 5],
    );
    assert.doesNotMatch(first, /ENDLIST|PLAYLIST-TYPE/);
    clockMs += 1999;
    assert.match(await (await get('/live/180p/index.m3u8')).text(), /#EXT-X-MEDIA-SEQUENCE:0\n/);
    clockMs += 1;
    assert.match(await (await get('/live/180p/index.m3u8')).text(), /#EXT-X-MEDIA-SEQUENCE:1\n/);
    clockMs += 62_000; // 32 segments in: the window [32, 38) has wrapped once
    const later = await (await get('/live/240p/index.m3u8')).text();
    assert.match(later, /#EXT-X-MEDIA-SEQUENCE:32\n/);
    assert.match(later, /#EXT-X-DISCONTINUITY-SEQUENCE:1\n/);
    assert.deepEqual(await bytesOf('/live/240p/seg_33.ts'), fixture('240p/seg_003.ts'));
    assert.deepEqual(await bytesOf('/live/180p/seg_29.ts'), fixture('180p/seg_029.ts'));
    const last = await get('/live/180p/seg_37.ts', { headers: { Range: 'bytes=0-9' } });
    assert.equal(last.status, 206);
    assert.deepEqual(Buffer.from(await last.arrayBuffer()), fixture('180p/seg_007.ts').subarray(0, 10));
    for (const path of [
      '/live/180p/seg_19.ts',
      '/live/180p/seg_38.ts',
      '/live/180p/seg_033.ts',
      '/live/180p/seg_99999999999999999999.ts',
    ]) {
      const response = await get(path);
      assert.equal(response.status, 404, path);
      await response.arrayBuffer();
    }
    assert.equal((await get('/live/180p/seg_20.ts')).status, 200);
  });

  it('serves hash manifests beside the VOD and live playlists, matching the bytes it serves', async () => {
    const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
    const manifestOf = async (path: string) => {
      const response = await get(path);
      assert.equal(response.status, 200, path);
      const parsed = parseHashManifest(await response.text());
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
      return parsed.manifest.renditions[0]!;
    };
    const vod = await manifestOf('/vod/240p/index.hashes.json');
    assert.equal(vod.live, false);
    assert.equal(vod.segments.length, 30);
    assert.deepEqual(vod.segments[7], { uri: 'seg_007.ts', sha256: sha256(fixture('240p/seg_007.ts')) });
    clockMs += 64_000; // the window is [32, 38); the origin serves from 20
    const live = await manifestOf('/live/180p/index.hashes.json');
    assert.equal(live.live, true);
    assert.deepEqual(
      live.segments.map((s) => s.uri),
      Array.from({ length: 18 }, (_, i) => `seg_${20 + i}.ts`),
    );
    for (const entry of live.segments)
      assert.equal(entry.sha256, sha256(await bytesOf(`/live/180p/${entry.uri}`)), entry.uri);
  });

  it('serves no manifests when told not to, and live manifests that lag when told to', async () => {
    const without = await startOriginServer({ hashManifests: false });
    const lagging = await startOriginServer({ hashManifestLagSegments: 2, nowMs: () => clockMs });
    try {
      assert.equal((await fetch(`${without.url}/vod/180p/index.hashes.json`)).status, 404);
      const text = await (await fetch(`${lagging.url}/live/180p/index.hashes.json`)).text();
      const parsed = parseHashManifest(text);
      assert.deepEqual(parsed.ok && parsed.manifest.renditions[0]!.segments.map((s) => s.uri), [
        'seg_0.ts',
        'seg_1.ts',
        'seg_2.ts',
        'seg_3.ts',
      ]);
    } finally {
      await Promise.all([without.close(), lagging.close()]);
    }
  });

  it('closes with keep-alive connections open, and close() can be called twice', async () => {
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port: origin.port, path: '/vod/master.m3u8', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    await Promise.all([origin.close(), origin.close()]);
    await assert.rejects(fetch(`${origin.url}/health`));
    agent.destroy();
  });

  it('rejects a live window that is not a positive integer and static prefixes without slashes', async () => {
    await assert.rejects(startOriginServer({ liveWindowSegments: 0 }), /liveWindowSegments/);
    await assert.rejects(startOriginServer({ staticRoutes: { '/dist': PAGES } }), /staticRoutes/);
  });
});
