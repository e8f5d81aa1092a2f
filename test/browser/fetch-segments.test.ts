import assert from 'node:assert/strict';
import type { Page } from 'puppeteer-core';
import { useBrowserFixture } from '../helpers/browser-fixture.ts';
import { assertPlayedWithoutStall, sourceLine, stopViewerPage, waitPlayed } from '../helpers/viewer-page.ts';

// With hls.js's default loader, peercdn loads segments over fetch (streaming, so peers can get them
// while they arrive), and hls.js still gets each segment whole; a site's xhrSetup without a
// fetchSetup keeps them on XHR. Which API made each request, the browser's resource timing says.
describe('segments over fetch with hls.js defaults, in headless Chromium', function () {
  this.timeout(240_000);
  const fixture = useBrowserFixture();

  // How the page requested its media segments (.ts), by Resource Timing's initiatorType.
  const segmentInitiators = (page: Page): Promise<string[]> =>
    page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter((entry) => new URL(entry.name).pathname.endsWith('.ts'))
        .map((entry) => (entry as PerformanceResourceTiming).initiatorType),
    );

  it('loads segments over fetch by default and plays with peer segments; xhrSetup alone keeps XHR', async () => {
    const { stack } = fixture();
    const idA = 'fetch-A';
    const idB = 'fetch-B';
    const idC = 'xhr-only-C';
    const pageA = await fixture().openViewer({ mode: 'vod', viewerId: idA });
    await waitPlayed(pageA, 4);
    const pageB = await fixture().openViewer({ mode: 'vod', viewerId: idB });
    const pageC = await fixture().openViewer({ mode: 'vod', viewerId: idC, extraQuery: { xhrOnly: '1' } });
    await waitPlayed(pageB, 12);
    await waitPlayed(pageC, 12);
    const initiatorsA = await segmentInitiators(pageA);
    const initiatorsC = await segmentInitiators(pageC);
    const a = await stopViewerPage(pageA);
    const b = await stopViewerPage(pageB);
    const c = await stopViewerPage(pageC);
    const counts = stack.origin.counts();
    const originB = counts.byViewer[idB]?.segmentBytes ?? 0;
    console.log(
      `      A ${JSON.stringify(initiatorsA)} C ${JSON.stringify(initiatorsC)}; B origin ${originB} B\n` +
        `      sources A ${sourceLine(a)} B ${sourceLine(b)} C ${sourceLine(c)}`,
    );
    assert.ok(initiatorsA.length > 0, 'viewer A requested no segment');
    assert.deepEqual(new Set(initiatorsA), new Set(['fetch']), 'viewer A: segments over fetch');
    assert.ok(initiatorsC.length > 0, 'viewer C requested no segment');
    assert.deepEqual(new Set(initiatorsC), new Set(['xmlhttprequest']), 'viewer C (xhrSetup only): segments over XHR');
    // The origin attributes each request to its viewer by the header fetchSetup/xhrSetup added.
    assert.ok((counts.byViewer[idA]?.segmentBytes ?? 0) > 0, "the origin saw A's header on its segment requests");
    for (const [name, snapshot] of [
      ['A', a],
      ['B', b],
      ['C', c],
    ] as const) {
      assertPlayedWithoutStall(snapshot, `viewer ${name}`, name === 'A' ? 4 : 12);
      const httpSegments = snapshot.segments.filter((segment) => segment.source === 'http');
      for (const segment of httpSegments)
        assert.ok(segment.byteLength > 0, `viewer ${name}: HTTP segment ${segment.sequenceNumber} was empty`);
    }
    assert.ok(
      b.segments.some((segment) => segment.source === 'peer'),
      'viewer B got no segment from a peer',
    );
  });
});
