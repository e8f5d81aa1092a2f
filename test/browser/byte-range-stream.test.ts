// A stream packaged as one file with EXT-X-BYTERANGE segments (ffmpeg's `-hls_flags single_file`:
// MPEG-TS, and CMAF whose init segment is a range of the same file too), hashed by `peercdn hash`
// (a manifest keyed by file and range): two Chromium viewers play it, the second takes segments
// from the first, each verified by its range's hash, and every fragment either player got is its
// range of the file byte for byte. Byte-range segments were HTTP only before.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { useBrowserFixture } from '../helpers/browser-fixture.ts';
import { assertHonestPlayback, playInTurn, sourceLine } from '../helpers/viewer-page.ts';

const CLIP_SECONDS = 16; // 8 segments of 2 s, all in one file
const CLI = fileURLToPath(new URL('../../dist/cli/peercdn.js', import.meta.url)); // built by `npm test`

// `fmp4`: CMAF, the init segment a byte range of the same file too (EXT-X-MAP BYTERANGE).
function makeStream(dir: string, format: 'ts' | 'fmp4'): void {
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=30:duration=${CLIP_SECONDS}`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0'],
    ...['-b:v', '200k', '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_flags', 'single_file'],
    ...(format === 'fmp4' ? ['-hls_segment_type', 'fmp4'] : []),
    ...['-hls_segment_filename', join(dir, `all.${format === 'ts' ? 'ts' : 'mp4'}`), join(dir, 'index.m3u8')],
  ]);
  execFileSync(process.execPath, [CLI, 'hash', dir]);
}

for (const format of ['ts', 'fmp4'] as const) {
  describe(`a stream of byte-range segments (EXT-X-BYTERANGE, one ${format === 'ts' ? 'MPEG-TS' : 'fMP4'} file)`, function () {
    this.timeout(300_000);
    let dir = '';
    // Registered before the fixture's hooks: the stream exists when its origin starts.
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'peercdn-byterange-'));
      makeStream(dir, format);
    });
    const fixture = useBrowserFixture({ staticRoutes: () => ({ '/ranged/': dir }) });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('shares its segments between viewers, each verified by the hash of its range', async () => {
      const playlist = readFileSync(join(dir, 'index.m3u8'), 'utf8');
      assert.match(playlist, /#EXT-X-BYTERANGE:\d+@\d+/, 'ffmpeg wrote byte ranges');
      const open = (viewerId: string): Promise<Page> =>
        fixture().openViewer({
          mode: 'vod',
          viewerId,
          level: 0,
          extraQuery: { src: '/ranged/index.m3u8', recordHashes: '1' },
        });
      const { a, b, delivered } = await playInTurn(
        () => open('ranged-A'),
        () => open('ranged-B'),
        4,
        10,
      );
      console.log(`      sources A ${sourceLine(a)} | B ${sourceLine(b)}`);

      assertHonestPlayback({ A: a, B: b });
      const fromPeer = b.segments.filter((segment) => segment.source === 'peer');
      assert.ok(fromPeer.length > 0, `B took no segment from A: ${sourceLine(b)}`);
      // Each peer segment passed its range's hash from the manifest `peercdn hash` wrote.
      assert.ok(
        (b.stats?.segmentsVerified ?? 0) >= fromPeer.length,
        `B verified ${b.stats?.segmentsVerified} of ${fromPeer.length} peer segments by hash`,
      );
      const name = format === 'ts' ? 'all.ts' : 'all.mp4';
      const file = readFileSync(join(dir, name));
      delivered.forEach((fragments, i) => {
        assert.ok(fragments.length > 0, `viewer ${i} recorded no fragment`);
        for (const { url, rangeStart, rangeEnd, sha256 } of fragments) {
          assert.equal(new URL(url).pathname, `/ranged/${name}`, `viewer ${i} loaded ${url}`);
          assert.ok(rangeEnd > rangeStart, `viewer ${i} loaded ${url} whole, not a byte range`);
          const expected = createHash('sha256').update(file.subarray(rangeStart, rangeEnd)).digest('hex');
          assert.equal(sha256, expected, `bytes ${rangeStart}-${rangeEnd - 1} of ${url} differ`);
        }
      });
    });
  });
}
