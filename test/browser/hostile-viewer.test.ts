import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { useBrowserFixture } from '../helpers/browser-fixture.ts';
import { startPoisoningPeer, type PoisoningPeer } from '../helpers/hostile-peer.ts';
import { sourceLine, stopViewerPage, viewerSnapshot, waitPlayed, type ViewerSnapshot } from '../helpers/viewer-page.ts';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
const segmentFile = (n: number): string => `${SAMPLE}180p/seg_${String(n).padStart(3, '0')}.ts`;
const SEGMENTS = Array.from({ length: 30 }, (_, i) => i);
const POISONER_ID = '-XX0009-poisonpoison';

describe('three Chromium viewers and a poisoning peer in Node (issue 10)', function () {
  this.timeout(300_000);
  const fixture = useBrowserFixture();
  let poisoner: PoisoningPeer | undefined;
  afterEach(() => poisoner?.destroy());

  it('no corrupt segment reaches any player, playback never stalls, and only the poisoner is banned', async () => {
    const { stack } = fixture();
    // Claims every 180p segment from the start and serves each with a valid-looking TS shape and a
    // garbage payload (the case structure checks cannot catch; the hash manifest does).
    poisoner = startPoisoningPeer({
      peerId: POISONER_ID,
      trackerUrl: stack.trackerUrl,
      playlistUrl: `${stack.origin.url}/vod/180p/index.m3u8`,
      original: (n) => (n >= 0 && n < 30 ? new Uint8Array(readFileSync(segmentFile(n))).buffer : undefined),
      mode: 'garbage-payload',
      claimedSequenceNumbers: SEGMENTS,
    });
    const pages: Page[] = [];
    for (const id of ['honest-1', 'honest-2', 'honest-3']) {
      pages.push(await fixture().openViewer({ mode: 'vod', viewerId: id, extraQuery: { recordHashes: '1' } }));
      await waitPlayed(pages[pages.length - 1] as Page, 2);
    }
    for (const page of pages) await waitPlayed(page, 16);
    // Hashes are recorded asynchronously: read them before stopping.
    const delivered = await Promise.all(pages.map(async (page) => (await viewerSnapshot(page)).delivered));
    const snapshots: ViewerSnapshot[] = [];
    for (const page of pages) snapshots.push(await stopViewerPage(page));
    const expected = (url: string): string => {
      const match = /\/vod\/180p\/(seg_\d{3}\.ts)$/.exec(new URL(url).pathname);
      assert.ok(match !== null, `an unexpected fragment ${url}`);
      return createHash('sha256')
        .update(readFileSync(`${SAMPLE}180p/${match[1]}`))
        .digest('hex');
    };
    snapshots.forEach((snapshot, i) => {
      console.log(
        `      viewer ${i + 1}: bans ${JSON.stringify(snapshot.bans)}, rejected ${snapshot.stats?.segmentsRejected}, ` +
          `p2p ${snapshot.stats?.p2pBytes} B; sources ${sourceLine(snapshot)}`,
      );
      assert.deepEqual(snapshot.fatalErrors, [], `viewer ${i + 1} had fatal errors`);
      assert.equal(snapshot.stalls, 0, `viewer ${i + 1} stalled`);
      const fragments = delivered[i] ?? [];
      assert.ok(fragments.length >= 8, `viewer ${i + 1} recorded ${fragments.length} fragments`);
      for (const { url, sha256 } of fragments)
        assert.equal(sha256, expected(url), `viewer ${i + 1}: ${url} is corrupt`);
      assert.ok(
        snapshot.bans.every((peerId) => peerId === POISONER_ID),
        `viewer ${i + 1} banned an honest viewer: ${JSON.stringify(snapshot.bans)}`,
      );
      // At most one bad segment from the poisoner before its ban.
      assert.ok((snapshot.stats?.segmentsRejected ?? 0) <= 1);
    });
    assert.ok(poisoner.served.length >= 1, 'the poisoner was never asked: the test proved nothing');
    assert.ok(
      snapshots.some((snapshot) => snapshot.bans.includes(POISONER_ID)),
      'nobody banned the poisoner',
    );
    assert.ok(
      snapshots.slice(1).some((snapshot) => snapshot.segments.some((segment) => segment.source === 'peer')),
      'the later viewers got nothing from honest peers',
    );
  });
});
