// With a configured `swarmId`, a rendition's swarm must not depend on hls.js's level index: hls.js
// drops the renditions whose codecs a browser cannot play and sorts the rest, so one index names
// different renditions in different browsers. Two Chromium viewers play the same 360p rendition of
// a two-rendition stream; the second one's MediaSource "cannot play" the other rendition's codec,
// so 360p is its level 0 and the first viewer's level 1. The second takes 360p segments from the
// first (one swarm), and every fragment either player got is the origin's file byte for byte.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { useBrowserFixture } from '../helpers/browser-fixture.ts';
import { assertHonestPlayback, playInTurn, sourceLine } from '../helpers/viewer-page.ts';

const CLIP_SECONDS = 16; // 8 segments of 2 s per rendition

// r0: H.264 Baseline 180p (avc1.42…), r1: H.264 High 360p (avc1.64…), one master playlist.
function makeStream(dir: string): void {
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=30:duration=${CLIP_SECONDS}`],
    ...['-map', '0:v', '-map', '0:v', '-filter:v:0', 'scale=320:180'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0'],
    ...['-profile:v:0', 'baseline', '-b:v:0', '200k', '-profile:v:1', 'high', '-b:v:1', '600k'],
    ...['-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod'],
    ...['-var_stream_map', 'v:0 v:1', '-master_pl_name', 'master.m3u8'],
    ...['-hls_segment_filename', join(dir, 'r%v/seg_%03d.ts'), join(dir, 'r%v/index.m3u8')],
  ]);
}

describe('renditions under a configured swarmId, in browsers that drop different renditions', function () {
  this.timeout(300_000);
  let dir = '';
  // Registered before the fixture's hooks: the stream exists when its origin starts.
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'peercdn-renditions-'));
    makeStream(dir);
  });
  const fixture = useBrowserFixture({ staticRoutes: () => ({ '/ladder/': dir }) });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts one rendition in one swarm whatever its level index, so the second viewer gets it from the first', async () => {
    const master = readFileSync(join(dir, 'master.m3u8'), 'utf8');
    const baselineCodec = /CODECS="(avc1\.42[0-9a-fA-F]{4})/.exec(master)?.[1];
    assert.ok(baselineCodec !== undefined, `no Baseline rendition in the master playlist:\n${master}`);
    const open = (viewerId: string, level: number, extra: Record<string, string> = {}): Promise<Page> =>
      fixture().openViewer({
        mode: 'vod',
        viewerId,
        level,
        extraQuery: { src: '/ladder/master.m3u8', swarmId: 'ladder-talk', recordHashes: '1', ...extra },
      });
    const { a, b, delivered } = await playInTurn(
      () => open('ladder-A', 1),
      () => open('ladder-B', 0, { unplayableCodec: baselineCodec }),
      4,
      10,
    );
    console.log(`      sources A ${sourceLine(a)} | B ${sourceLine(b)}`);

    assertHonestPlayback({ A: a, B: b });
    // Both played 360p (r1): A as its level 1, B as its level 0 (its hls.js dropped r0).
    assert.deepEqual(new Set(a.fragmentsLoading.map((f) => f.level)), new Set([1]), 'A played its level 1');
    assert.deepEqual(new Set(b.fragmentsLoading.map((f) => f.level)), new Set([0]), 'B played its level 0');
    const swarms = new Set([...a.segments, ...b.segments].map((segment) => segment.swarmId));
    assert.equal(swarms.size, 1, `one swarm for 360p in both viewers: ${[...swarms].join(', ')}`);
    assert.ok(
      b.segments.some((segment) => segment.source === 'peer'),
      `B took 360p segments from A: ${sourceLine(b)}`,
    );
    delivered.forEach((fragments, i) => {
      assert.ok(fragments.length > 0, `viewer ${i} recorded no fragment`);
      for (const { url, sha256 } of fragments) {
        const path = new URL(url).pathname;
        assert.ok(path.startsWith('/ladder/r1/'), `viewer ${i} loaded ${url}, not 360p`);
        const file = join(dir, path.slice('/ladder/'.length));
        assert.equal(sha256, createHash('sha256').update(readFileSync(file)).digest('hex'), `${url} differs`);
      }
    });
  });
});
