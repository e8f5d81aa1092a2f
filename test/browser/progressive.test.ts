import assert from 'node:assert/strict';
import { useBrowserFixture } from '../helpers/browser-fixture.ts';
import { assertPlayedWithoutStall, sourceLine, stopViewerPage, waitPlayed } from '../helpers/viewer-page.ts';

// hls.js's streaming mode (`progressive: true`): its FetchLoader hands a fragment's bytes to
// hls.js as they arrive (onProgress) and ends with an empty response. A segment from a peer or the
// cache must reach hls.js the same way, and the HTTP bytes must still be what peers get.
describe('hls.js in streaming mode (progressive) with peercdn in headless Chromium', function () {
  this.timeout(240_000);
  const fixture = useBrowserFixture();

  for (const mode of ['vod', 'live'] as const) {
    it(`plays ${mode} with peer segments, and what peers get is the whole segment`, async () => {
      const { stack } = fixture();
      const open = (viewerId: string) => fixture().openViewer({ mode, viewerId, extraQuery: { progressive: '1' } });
      const idA = `progressive-${mode}-A`;
      const idB = `progressive-${mode}-B`;
      const pageA = await open(idA);
      await waitPlayed(pageA, mode === 'vod' ? 4 : 8);
      const pageB = await open(idB);
      await waitPlayed(pageB, 12);
      const a = await stopViewerPage(pageA);
      const b = await stopViewerPage(pageB);
      const counts = stack.origin.counts();
      const originB = counts.byViewer[idB]?.segmentBytes ?? 0;
      console.log(
        `      ${mode}: B origin ${originB} B, p2p ${b.stats?.p2pBytes} B; sources A ${sourceLine(a)} B ${sourceLine(b)}\n` +
          `      errors A ${JSON.stringify(a.errors)} B ${JSON.stringify(b.errors)}`,
      );
      for (const [name, snapshot] of [
        ['A', a],
        ['B', b],
      ] as const) {
        assertPlayedWithoutStall(snapshot, `viewer ${name}`, 12);
        assert.deepEqual(snapshot.bans, [], `viewer ${name} banned a peer`);
        const bad = snapshot.errors.filter((error) => /segment-(corrupt|unverifiable)|peer-protocol/.test(error));
        assert.deepEqual(bad, [], `viewer ${name} rejected peer segments`);
        for (const segment of snapshot.segments)
          assert.ok(segment.byteLength > 0, `viewer ${name}: segment ${segment.sequenceNumber} was empty`);
      }
      assert.ok(
        b.segments.some((segment) => segment.source === 'peer'),
        'viewer B got no segment from a peer',
      );
      const delivered = (b.stats?.httpBytes ?? 0) + (b.stats?.p2pBytes ?? 0);
      assert.ok(originB < delivered, `origin served B ${originB} of its ${delivered} bytes`);
    });
  }
});
