import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
const PAGES = fileURLToPath(new URL('../browser/pages/', import.meta.url));

describe('origin server', () => {
  let clockMs = 1_000_000;
  let origin: OriginServer;

  beforeEach(async () => {
    origin = await startOriginServer({ staticRoutes: { '/pages/': PAGES }, nowMs: () => clockMs });
  });
  afterEach(() => origin.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${origin.url}${path}`, { headers });

  it('serves the VOD playlists and byte-identical segments', async () => {
    const master = await (await get('/vod/master.m3u8')).text();
    assert.match(master, /180p\/index\.m3u8/);
    const media = await get('/vod/180p/index.m3u8');
    assert.equal(media.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.match(await media.text(), /#EXT-X-ENDLIST/);
    const segment = await get('/vod/180p/seg_003.ts');
    assert.equal(segment.headers.get('cache-control'), 'no-store');
    assert.deepEqual(Buffer.from(await segment.arrayBuffer()), readFileSync(`${SAMPLE}180p/seg_003.ts`));
  });

  it('answers Range requests with 206 and the right bytes, 416 when unsatisfiable', async () => {
    const file = readFileSync(`${SAMPLE}240p/seg_001.ts`);
    const partial = await get('/vod/240p/seg_001.ts', { Range: 'bytes=100-199' });
    assert.equal(partial.status, 206);
    assert.equal(partial.headers.get('content-range'), `bytes 100-199/${file.byteLength}`);
    assert.deepEqual(Buffer.from(await partial.arrayBuffer()), file.subarray(100, 200));
    const beyond = await get('/vod/240p/seg_001.ts', { Range: `bytes=${file.byteLength}-` });
    assert.equal(beyond.status, 416);
    await beyond.arrayBuffer();
  });

  it('counts exactly the body bytes served, per path and per viewer', async () => {
    const a = await (await get('/vod/180p/seg_000.ts', { 'X-Viewer-Id': 'alice' })).arrayBuffer();
    const b = await (await get('/vod/180p/seg_001.ts?viewer=bob')).arrayBuffer();
    const c = await (await get('/vod/180p/seg_001.ts', { Range: 'bytes=0-99', 'X-Viewer-Id': 'alice' })).arrayBuffer();
    const playlist = await (await get('/vod/180p/index.m3u8')).arrayBuffer();
    const counts = origin.counts();
    assert.equal(counts.segmentBytes, a.byteLength + b.byteLength + c.byteLength);
    assert.equal(counts.playlistBytes, playlist.byteLength);
    assert.equal(counts.totalBytes, counts.segmentBytes + counts.playlistBytes);
    assert.equal(counts.segmentRequests, 3);
    assert.equal(counts.byPath['/vod/180p/seg_001.ts'], b.byteLength + 100);
    assert.deepEqual(counts.byViewer['alice'], { segmentBytes: a.byteLength + 100, segmentRequests: 2 });
    assert.deepEqual(counts.byViewer['bob'], { segmentBytes: b.byteLength, segmentRequests: 1 });
    const overHttp = await (await get('/counts')).json();
    assert.deepEqual(overHttp, counts);
    assert.equal((await fetch(`${origin.url}/counts/reset`, { method: 'POST' })).status, 204);
    assert.equal(origin.counts().totalBytes, 0);
  });

  it('answers CORS preflights and sets CORS headers', async () => {
    const preflight = await fetch(`${origin.url}/vod/180p/seg_000.ts`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Viewer-Id/);
    const response = await get('/vod/master.m3u8');
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    await response.text();
  });

  it('answers 404 for unknown paths and segments and 405 for other methods', async () => {
    for (const path of ['/nope', '/vod/999p/index.m3u8', '/vod/180p/seg_030.ts']) {
      const response = await get(path);
      assert.equal(response.status, 404, path);
      await response.text();
    }
    const put = await fetch(`${origin.url}/vod/master.m3u8`, { method: 'PUT' });
    assert.equal(put.status, 405);
    await put.text();
  });

  it('serves static routes and refuses to leave their directory', async () => {
    const page = await get('/pages/viewer.html');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    await page.text();
    for (const path of ['/pages/../../package.json', '/pages/%2e%2e/%2e%2e/package.json', '/pages/..%2f..%2fpackage.json']) {
      const response = await get(path);
      assert.equal(response.status, 404, path);
      await response.text();
    }
  });

  it('serves a live window that advances with the clock', async () => {
    const first = await (await get('/live/180p/index.m3u8')).text();
    assert.match(first, /#EXT-X-MEDIA-SEQUENCE:0\n/);
    assert.equal([...first.matchAll(/^seg_\d+\.ts$/gm)].length, 6);
    clockMs += 65_000;
    const later = await (await get('/live/180p/index.m3u8')).text();
    assert.match(later, /#EXT-X-MEDIA-SEQUENCE:32\n/);
    assert.match(later, /#EXT-X-DISCONTINUITY-SEQUENCE:1\n/);
    const segment = await get('/live/180p/seg_33.ts');
    assert.deepEqual(Buffer.from(await segment.arrayBuffer()), readFileSync(`${SAMPLE}180p/seg_003.ts`));
    const stale = await get('/live/180p/seg_2.ts');
    assert.equal(stale.status, 404);
    await stale.text();
  });
});
