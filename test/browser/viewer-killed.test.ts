import assert from 'node:assert/strict';
import type { Page } from 'puppeteer-core';
import { useBrowserFixture } from '../helpers/browser-fixture.ts';
import { sourceLine, stopViewerPage, viewerSnapshot, waitPlayed, type ViewerSnapshot } from '../helpers/viewer-page.ts';

const VIEWERS = 4;
// Each viewer joins once the previous one has played this long.
const JOIN_AFTER_SECONDS = 2;
// The last viewer plays this long before the first (the swarm's main seeder) is killed ...
const KILL_AFTER_SECONDS = 4;
// ... and the survivors then play this much further.
const PLAY_ON_SECONDS = 10;
// VOD: hls.js buffers this far ahead at most. With its default (30 s) every survivor had the whole
// 30-s sample buffered before the kill, so nothing was left to exchange after it (CI: 0 peer bytes).
const VOD_MAX_BUFFER_SECONDS = 8;

function loadedBytes(snapshot: ViewerSnapshot): number {
  return (snapshot.stats?.httpBytes ?? 0) + (snapshot.stats?.p2pBytes ?? 0);
}

describe('a swarm of four headless Chromium viewers losing one', function () {
  this.timeout(300_000);
  const fixture = useBrowserFixture();

  for (const mode of ['vod', 'live'] as const) {
    it(`keeps the other ${mode} viewers playing without a stall when the first viewer's page is killed`, async () => {
      const { stack } = fixture();
      stack.origin.resetCounts();
      const ids = Array.from({ length: VIEWERS }, (_, index) => `${mode}-kill-${index}`);
      const viewers: Page[] = [];
      for (const viewerId of ids) {
        const page = await fixture().openViewer({
          mode,
          viewerId,
          ...(mode === 'vod' ? { extraQuery: { maxBuffer: String(VOD_MAX_BUFFER_SECONDS) } } : {}),
        });
        viewers.push(page);
        await waitPlayed(page, JOIN_AFTER_SECONDS);
      }
      const [killed, ...survivors] = viewers as [Page, ...Page[]];
      await waitPlayed(survivors[survivors.length - 1]!, KILL_AFTER_SECONDS);

      // The killed viewer's last counters, then its page goes away without a goodbye: no
      // destroy(), no tracker "stopped", its data channels just die (mid-transfer or not).
      const killedLast = await viewerSnapshot(killed);
      const survivorsBefore = await Promise.all(survivors.map(viewerSnapshot));
      await killed.close({ runBeforeUnload: false });
      fixture().forget(killed);

      const targets = survivorsBefore.map((snapshot) => snapshot.playedSeconds + PLAY_ON_SECONDS);
      await Promise.all(survivors.map((page, index) => waitPlayed(page, targets[index]!)));
      const finals = [];
      for (const page of survivors) finals.push(await stopViewerPage(page));

      const counts = stack.origin.counts();
      const originBytes = ids.reduce((sum, id) => sum + (counts.byViewer[id]?.segmentBytes ?? 0), 0);
      const deliveredBytes = loadedBytes(killedLast) + finals.reduce((sum, snapshot) => sum + loadedBytes(snapshot), 0);
      const p2pAfterKill =
        finals.reduce((sum, snapshot) => sum + (snapshot.stats?.p2pBytes ?? 0), 0) -
        survivorsBefore.reduce((sum, snapshot) => sum + (snapshot.stats?.p2pBytes ?? 0), 0);
      const offload = 1 - originBytes / deliveredBytes;
      console.log(
        `      ${mode}: origin ${originBytes} B for ${deliveredBytes} B delivered (offload ${(offload * 100).toFixed(1)}%), ` +
          `peer bytes among survivors after the kill ${p2pAfterKill}`,
      );
      finals.forEach((snapshot, index) => console.log(`      survivor ${index + 1}: ${sourceLine(snapshot)}`));

      finals.forEach((snapshot, index) => {
        const name = `survivor ${index + 1}`;
        assert.deepEqual(snapshot.fatalErrors, [], `${name} had fatal errors`);
        assert.equal(snapshot.stalls, 0, `${name} stalled`);
        assert.ok(snapshot.playedSeconds >= targets[index]!, `${name} played ${snapshot.playedSeconds} s`);
      });
      assert.ok(originBytes > 0, 'the origin counted nothing');
      assert.ok(offload > 0, `offload ${offload}: the origin served ${originBytes} of ${deliveredBytes} bytes`);
      assert.ok(p2pAfterKill > 0, 'the survivors exchanged no segment after the kill');
    });
  }
});
