import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBrowserFixture } from '../helpers/browser-fixture.ts';
import type { CorruptionMode } from '../helpers/corrupt-segment.ts';
import { buildHostileViewer } from '../helpers/hostile-bundle.ts';
import { sourceLine, stopViewerPage, waitPlayed, type ViewerSnapshot } from '../helpers/viewer-page.ts';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
const SEGMENTS = 30;
const originHash = (sn: number): string =>
  createHash('sha256').update(readFileSync(`${SAMPLE}180p/seg_${String(sn).padStart(3, '0')}.ts`)).digest('hex');
const PLAYED_SECONDS = 14;

interface HonestSnapshot extends ViewerSnapshot {
  readonly bans: { peerId: string; reason: string }[];
  readonly handed: { level: number; sn: number; sha256: string | null }[];
}

// The hostile build is written here and served at /hostile/.
const bundleDir = mkdtempSync(join(tmpdir(), 'peercdn-hostile-'));

describe('a hostile viewer among honest ones in headless Chromium (hash manifests served)', function () {
  this.timeout(300_000);
  const fixture = useBrowserFixture({ '/hostile/': bundleDir });
  before(async () => {
    await buildHostileViewer(join(bundleDir, 'hostile-viewer.js'));
  });
  after(() => rmSync(bundleDir, { recursive: true, force: true }));

  const modes: readonly [CorruptionMode, string][] = [
    ['flip', '-XX0005-flipsflipsfl'],
    ['garbage-payload', '-XX0005-garbagegarba'],
    ['truncate', '-XX0005-truncatetrun'],
  ];
  for (const [mode, hostileId] of modes) {
    it(`honest viewers append only the origin's bytes, never stall, and ban the ${mode} viewer after at most one bad segment`, async () => {
      const { stack } = fixture();
      const origin = stack.origin.url;
      const hostile = await fixture().newPage();
      await hostile.goto(`${origin}/pages/hostile.html`);
      await hostile.evaluate(
        (options) => (window as unknown as { startHostile(o: unknown): Promise<void> }).startHostile(options),
        {
          peerId: hostileId,
          trackerUrl: stack.trackerUrl,
          playlistUrl: `${origin}/vod/180p/index.m3u8`,
          mode,
          segmentUrls: Array.from({ length: SEGMENTS }, (_, i) => `${origin}/vod/180p/seg_${String(i).padStart(3, '0')}.ts`),
        },
      );
      const pages = [];
      for (let i = 0; i < 3; i++) {
        pages.push(await fixture().openViewer({ mode: 'vod', viewerId: `${mode}-${i}`, level: 0, extraQuery: { record: '1' } }));
        await waitPlayed(pages[i]!, 2);
      }
      for (const page of pages) await waitPlayed(page, PLAYED_SECONDS);
      const served = await hostile.evaluate(() => (window as unknown as { hostilePeer: { served: number[] } }).hostilePeer.served);
      const snapshots: HonestSnapshot[] = [];
      for (const page of pages) snapshots.push(await stopViewerPage<HonestSnapshot>(page));
      snapshots.forEach((snapshot, i) => {
        const corruptFromHostile = snapshot.errors.filter((error) => error.startsWith('segment-corrupt') && error.includes(hostileId));
        console.log(`      ${mode} viewer ${i}: ${sourceLine(snapshot)}; bans ${snapshot.bans.map((b) => b.peerId).join(',')}; bad segments ${corruptFromHostile.length}`);
        assert.deepEqual(snapshot.fatalErrors, [], `viewer ${i} had fatal errors`);
        assert.equal(snapshot.stalls, 0, `viewer ${i} stalled`);
        assert.ok(snapshot.handed.length >= PLAYED_SECONDS / 2, `viewer ${i} was handed ${snapshot.handed.length} segments`);
        for (const { sn, sha256, level } of snapshot.handed) {
          assert.equal(level, 0);
          assert.equal(sha256, originHash(sn), `viewer ${i} was handed a segment ${sn} that is not the origin's`);
        }
        assert.deepEqual(snapshot.bans.map((ban) => ban.peerId), [hostileId], `viewer ${i} banned the hostile viewer, and only it`);
        assert.ok(corruptFromHostile.length <= 1, `viewer ${i} received ${corruptFromHostile.length} bad segments before the ban`);
      });
      assert.ok(served.length >= 1 && served.length <= 3, `the hostile viewer served ${served.length} segments to 3 viewers`);
    });
  }
});
