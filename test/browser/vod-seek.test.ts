// Seeking in VOD with P2P: a viewer that jumps ahead (past what its peer has) and back (to what its
// cache and its peer hold) keeps playing without a stall, bans nobody, and every fragment hls.js
// got is the origin's file byte for byte, whichever source served it after each seek.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));

describe('seeking in VOD with P2P, in headless Chromium', function () {
  this.timeout(240_000);
  const fixture = useBrowserFixture();

  // Seek the page's video and wait for `seeked`, then for `seconds` more of playback.
  async function seekAndPlay(page: Page, toSeconds: number, seconds: number): Promise<void> {
    await page.evaluate(
      (to) =>
        new Promise<void>((resolve) => {
          const video = document.querySelector('video');
          if (video === null) throw new Error('no video element');
          video.addEventListener('seeked', () => resolve(), { once: true });
          video.currentTime = to;
        }),
      toSeconds,
    );
    await waitPlayed(page, (await viewerSnapshot(page)).playedSeconds + seconds);
  }

  it('a viewer that seeks ahead and back plays on without a stall, the origin’s bytes from peers or HTTP', async () => {
    const open = (viewerId: string): Promise<Page> =>
      fixture().openViewer({ mode: 'vod', viewerId, extraQuery: { recordHashes: '1' } });
    const pageA = await open('seek-A');
    await waitPlayed(pageA, 6);
    const pageB = await open('seek-B');
    await waitPlayed(pageB, 2);
    await seekAndPlay(pageB, 26, 4);
    await seekAndPlay(pageB, 4, 4);
    // Hashes are recorded asynchronously: read them before stopping.
    const delivered = (await viewerSnapshot(pageB)).delivered;
    const a = await stopViewerPage(pageA);
    const b = await stopViewerPage(pageB);
    console.log(`      A ${sourceLine(a)} | B ${sourceLine(b)}`);

    assertHonestPlayback({ A: a, B: b });
    assert.ok(
      b.segments.some((segment) => segment.source === 'peer'),
      `B took no segment from A: ${sourceLine(b)}`,
    );
    // B loaded the segment it seeked ahead to (26 s: segment 13), past what A held then.
    assert.ok(
      b.segments.some((segment) => segment.sequenceNumber === 13),
      `B's segments: ${sourceLine(b)}`,
    );
    for (const { url, sha256 } of delivered) {
      const match = /\/vod\/(\w+)\/(seg_\d+\.ts)$/.exec(new URL(url).pathname);
      assert.ok(match !== null, `an unexpected fragment ${url}`);
      const file = `${SAMPLE}${match[1]}/${match[2]}`;
      assert.equal(sha256, createHash('sha256').update(readFileSync(file)).digest('hex'), `${url} differs`);
    }
  });
});
