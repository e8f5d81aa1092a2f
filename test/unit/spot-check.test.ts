import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { DEFAULT_CONFIG } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { FetchFragmentLoader } from '../../lib/hls/fetch-loader.ts';
import { spotCheck, spotWindowBytes } from '../../lib/hls/spot-check.ts';
import { PeerCDN } from '../../lib/peercdn.ts';
import { offlineEngine, recordingCallbacks, segmentSevenRequest, startRangeOrigin } from '../helpers/resume-request.ts';

const SEGMENT_SEVEN = new Uint8Array(readFileSync(new URL('../../fixtures/sample/180p/seg_007.ts', import.meta.url)));

describe('origin spot checks of peer bytes no hash vouches for', () => {
  const servers: Server[] = [];
  const engines: Engine[] = [];
  afterEach(async () => {
    for (const engine of engines.splice(0)) engine.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });
  // Randomness fixed (the window's place), as every test's: `at` 0.5 puts it mid-segment.
  const newEngine = (config: object = {}, at = 0.5): Engine => {
    const engine = offlineEngine({ originSpotChecks: true, ...config }, at);
    engines.push(engine);
    return engine;
  };
  const origin = async () => {
    const started = await startRangeOrigin('/live/seg_7.ts', SEGMENT_SEVEN);
    servers.push(started.server);
    return started;
  };
  const requestTo = (url: string) => {
    const request = segmentSevenRequest(recordingCallbacks().callbacks, () => new FetchFragmentLoader({}));
    return { ...request, context: { ...request.context, url } };
  };

  it('reads about 1/2048 of the peer bytes from the origin: at least 16 bytes, at most 1 KiB', () => {
    assert.deepEqual([10, 100, 500_000, 2_000_000, 10_000_000].map(spotWindowBytes), [10, 16, 245, 977, 1024]);
  });

  it('passes the origin’s bytes and names the window of bytes that differ', async () => {
    const server = await origin();
    const engine = newEngine();
    const request = requestTo(server.url);
    const honest = spotCheck(engine, request, SEGMENT_SEVEN.byteLength);
    assert.equal(await honest?.judge(SEGMENT_SEVEN.slice().buffer), null);
    // Another segment's bytes: this stream's segment 7 with every byte changed.
    const forged = SEGMENT_SEVEN.map((byte) => byte ^ 0xff);
    const caught = spotCheck(engine, request, SEGMENT_SEVEN.byteLength);
    const window = spotWindowBytes(SEGMENT_SEVEN.byteLength);
    const first = Math.floor(0.5 * (SEGMENT_SEVEN.byteLength - window + 1));
    assert.equal(
      await caught?.judge(forged.buffer),
      `origin spot check: bytes ${first}-${first + window - 1} differ from the origin's`,
    );
    assert.deepEqual(server.asked, [`bytes=${first}-${first + window - 1}`, `bytes=${first}-${first + window - 1}`]);
    // The sample's bytes count as HTTP bytes (what the origin served).
    assert.equal(engine.stats().httpBytes, 2 * window);
  });

  it('checks only the part peers sent (a Range resume): the window lies in the first peer bytes', async () => {
    const server = await origin();
    const engine = newEngine({}, 0.999);
    const peerBytes = 188 * 10;
    const check = spotCheck(engine, requestTo(server.url), peerBytes);
    const joined = SEGMENT_SEVEN.slice();
    joined.fill(0, peerBytes); // what came over HTTP is not the peer's to answer for
    assert.equal(await check?.judge(joined.buffer), null);
    const [, last] = (server.asked[0] ?? '').replace('bytes=', '').split('-').map(Number);
    assert.ok(last! < peerBytes, server.asked[0]);
  });

  it('an origin that sends the whole segment for a range checks nothing, and is not asked again; an error or a refused range only skips that check', async () => {
    const server = await origin();
    const engine = newEngine();
    const forged = SEGMENT_SEVEN.map((byte) => byte ^ 0xff).buffer;
    const missing = spotCheck(engine, requestTo(server.url.replace('seg_7', 'seg_8')), SEGMENT_SEVEN.byteLength);
    assert.equal(await missing?.judge(forged), null, 'a 404: unchecked');
    server.ranges.on = false;
    const whole = spotCheck(engine, requestTo(server.url), SEGMENT_SEVEN.byteLength);
    assert.equal(await whole?.judge(forged), null, 'a 200 with the whole segment: unchecked');
    assert.equal(spotCheck(engine, requestTo(server.url), SEGMENT_SEVEN.byteLength), null, 'not asked again');
    assert.equal(server.asked.length, 1, 'one request: the one answered with the whole segment');
  });

  it('is an optional part: the setting without spotCheck passed in is refused, as bundles without it carry none of its code', () => {
    assert.throws(
      () => new PeerCDN({ trackerUrls: ['ws://127.0.0.1:9'], originSpotChecks: true }),
      /"originSpotChecks" needs spotCheck/,
    );
    new PeerCDN({ trackerUrls: ['ws://127.0.0.1:9'], originSpotChecks: true }, { spotCheck }).destroy();
  });

  it('asks nothing when turned off (the default), or when the segment plays too soon to wait for the origin', () => {
    const request = requestTo('http://127.0.0.1:9/live/seg_7.ts');
    const off = newEngine({ originSpotChecks: DEFAULT_CONFIG.originSpotChecks });
    assert.equal(spotCheck(off, request, SEGMENT_SEVEN.byteLength), null);
    const engine = newEngine();
    // Playing at 13.8 s: segment 7 (from 14 s) is needed in 0.2 s.
    engine.playback.follow({ media: { readyState: 4, currentTime: 13.8, playbackRate: 1 } as HTMLMediaElement });
    assert.equal(spotCheck(engine, request, SEGMENT_SEVEN.byteLength), null);
    assert.equal(spotCheck(engine, request, 0), null);
  });
});
