// Issue 10, from a video file to the player: `peercdn package` makes a P2P-ready stream (MPEG-TS
// and fMP4, hash manifests beside the playlists), a plain static origin serves it, and two Chromium
// viewers play it: the second one's segments come from the first, each verified against the
// package's manifest, and every fragment handed to hls.js is the packaged file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { useBrowserFixture } from '../helpers/browser-fixture.ts';
import {
  assertHonestPlayback,
  sourceLine,
  stopViewerPage,
  viewerSnapshot,
  waitPlayed,
} from '../helpers/viewer-page.ts';

const CLI = fileURLToPath(new URL('../../dist/cli/peercdn.js', import.meta.url)); // built by `npm test`
const CLIP_SECONDS = 20; // 10 segments of 2 s per rendition
const FORMATS = [
  { name: 'MPEG-TS', dir: 'ts', flags: [] },
  { name: 'fMP4', dir: 'fmp4', flags: ['--fmp4'] },
] as const;

describe('a stream made by `peercdn package`, played with P2P in Chromium', function () {
  this.timeout(300_000);
  let dir = '';
  // Registered before the fixture's hooks: the streams exist when their origin starts.
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'peercdn-packaged-'));
    const clip = join(dir, 'clip.mp4');
    // A generated clip with moving pictures and a tone, encoded fast.
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=30:duration=${CLIP_SECONDS}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${CLIP_SECONDS}`],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clip],
    ]);
    for (const format of FORMATS) {
      execFileSync(process.execPath, [CLI, 'package', clip, join(dir, format.dir), ...format.flags], { stdio: 'pipe' });
    }
  });
  const fixture = useBrowserFixture({ staticRoutes: () => ({ '/packaged/': dir }) });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const format of FORMATS) {
    it(`${format.name}: the second viewer's segments come from the first, verified against the package's hashes, byte-identical`, async () => {
      const open = (viewerId: string): Promise<Page> =>
        fixture().openViewer({
          mode: 'vod',
          viewerId,
          level: 0,
          extraQuery: { src: `/packaged/${format.dir}/master.m3u8`, recordHashes: '1' },
        });
      const first = await open(`${format.dir}-A`);
      await waitPlayed(first, 4);
      const second = await open(`${format.dir}-B`);
      await waitPlayed(second, 12);
      // Hashes are recorded asynchronously: read them before stopping.
      const delivered = await Promise.all([first, second].map(async (page) => (await viewerSnapshot(page)).delivered));
      const [a, b] = [await stopViewerPage(first), await stopViewerPage(second)];
      console.log(
        `      ${format.name}: B p2p ${b.stats?.p2pBytes} B, verified ${b.stats?.segmentsVerified}, rejected ${b.stats?.segmentsRejected}; ` +
          `sources A ${sourceLine(a)} | B ${sourceLine(b)}`,
      );

      assertHonestPlayback({ A: a, B: b });
      const fromPeers = b.segments.filter((segment) => segment.source === 'peer').length;
      assert.ok(fromPeers >= 1, `B took no segment from A: ${sourceLine(b)}`);
      // Every peer segment was checked against the manifest before hls.js saw it.
      assert.ok(
        (b.stats?.segmentsVerified ?? 0) >= fromPeers,
        `B verified ${b.stats?.segmentsVerified} of ${fromPeers} peer segments`,
      );
      delivered.forEach((fragments, i) => {
        assert.ok(fragments.length >= 5, `viewer ${i} recorded ${fragments.length} fragments`);
        for (const { url, sha256 } of fragments) {
          const path = new URL(url).pathname;
          assert.ok(path.startsWith('/packaged/'), `an unexpected fragment ${url}`);
          const file = join(dir, decodeURIComponent(path.slice('/packaged/'.length)));
          assert.equal(
            sha256,
            createHash('sha256').update(readFileSync(file)).digest('hex'),
            `${url} differs from the package`,
          );
        }
      });
    });
  }
});
