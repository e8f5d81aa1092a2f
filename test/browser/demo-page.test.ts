import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { launchChromium, type LaunchedChromium } from '../helpers/chromium.ts';
import { startDemo, type DemoProcess } from '../helpers/demo-process.ts';
import { waitForDom, waitVideoTime } from '../helpers/page-waits.ts';

const OUTPUT_DIR = fileURLToPath(new URL('../../test-output/', import.meta.url));
// Liveness guard for waits (not a speed assertion): a broken page fails here instead of hanging.
const WAIT_GUARD_MS = 120_000;
const VIEWPORT = { width: 1360, height: 980 };

/** What a person reads on the demo page, taken from its DOM. */
interface PageReading {
  readonly p2pBytes: number;
  readonly uploadedBytes: number;
  readonly peersTile: number;
  readonly p2pText: string;
  readonly peerRows: { peer: string; receivedBytes: number; received: string }[];
  readonly chartPoints: number;
  /** Height on screen of the "from peers" area of the cumulative chart, CSS pixels. */
  readonly peerAreaHeightPx: number;
}

function readPage(page: Page): Promise<PageReading> {
  // No named functions inside: tsx's keepNames would wrap them in a helper the page lacks.
  return page.evaluate(() => {
    const tiles = Object.fromEntries(
      [...document.querySelectorAll<HTMLElement>('[data-tile]')].map((tile): [string, number] => [
        tile.dataset['tile'] ?? '',
        Number(tile.dataset['number'] ?? 0),
      ]),
    );
    const chart = document.getElementById('chart-received') as SVGSVGElement | null;
    const area = chart?.querySelector('path.area.series-peers');
    return {
      p2pBytes: tiles['p2p'] ?? 0,
      uploadedBytes: tiles['uploaded'] ?? 0,
      peersTile: tiles['peers'] ?? 0,
      p2pText: document.querySelector('[data-tile="p2p"] .value')?.textContent ?? '',
      peerRows: [...document.querySelectorAll<HTMLElement>('#peer-rows tr[data-peer]')].map((row) => ({
        peer: row.dataset['peer'] ?? '',
        receivedBytes: Number(row.dataset['receivedBytes'] ?? 0),
        received: row.querySelector('.received')?.textContent ?? '',
      })),
      chartPoints: Number(chart?.dataset['points'] ?? 0),
      peerAreaHeightPx: area instanceof SVGGraphicsElement ? area.getBoundingClientRect().height : 0,
    };
  });
}

describe('the demo page (npm run demo) with two viewers', function () {
  this.timeout(300_000);
  let demo: DemoProcess | undefined;
  let chromium: LaunchedChromium | undefined;

  before(async () => {
    demo = await startDemo('dev-server');
    chromium = await launchChromium();
    await chromium.allowWebRtc(demo.pageUrl.origin);
  });

  after(async () => {
    await chromium?.close();
    if (demo !== undefined && demo.child.exitCode === null) {
      process.kill(demo.child.pid as number, 'SIGTERM');
      await demo.exited;
    }
  });

  const pages: Page[] = [];
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close().catch(() => undefined);
  });

  const openViewer = async (file = 'index.html'): Promise<Page> => {
    const page = await (chromium as LaunchedChromium).browser.newPage({ type: 'window', windowBounds: VIEWPORT });
    pages.push(page);
    await page.setViewport(VIEWPORT);
    const url = new URL(file, (demo as DemoProcess).pageUrl);
    url.search = (demo as DemoProcess).pageUrl.search;
    await page.goto(url.href);
    return page;
  };

  it("shows the second viewer's bytes from its peer, the peer in the table, and a chart that grew, and both viewers on the fleet page; saves screenshots", async () => {
    const first = await openViewer();
    // The first viewer plays alone for a few seconds, so it has segments to share.
    await waitVideoTime(first, 4, WAIT_GUARD_MS);
    const second = await openViewer();
    await waitForDom(
      second,
      'bytes from peers on the p2p tile',
      WAIT_GUARD_MS,
      () => Number(document.querySelector<HTMLElement>('[data-tile="p2p"]')?.dataset['number'] ?? 0) > 0,
    );
    const before = await readPage(second);
    // A few more samples: the chart gets points and the peer area stays drawn.
    await waitForDom(
      second,
      'three more chart points',
      WAIT_GUARD_MS,
      (points: number) => Number(document.getElementById('chart-received')?.dataset['points'] ?? 0) >= points + 3,
      before.chartPoints,
    );
    await waitVideoTime(second, 8, WAIT_GUARD_MS);
    const after = await readPage(second);
    const firstReading = await readPage(first);
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await second.screenshot({ path: `${OUTPUT_DIR}demo-second-viewer.png`, fullPage: true });
    await first.screenshot({ path: `${OUTPUT_DIR}demo-first-viewer.png`, fullPage: true });
    console.log(`      screenshots: ${OUTPUT_DIR}demo-second-viewer.png, demo-first-viewer.png`);
    console.log(
      `      second viewer: ${after.p2pText} from peers, peers ${JSON.stringify(after.peerRows)}; first uploaded ${firstReading.uploadedBytes} B`,
    );

    assert.ok(after.p2pBytes > 0 && !/^0 B$/.test(after.p2pText), `"from peers" shows ${after.p2pText}`);
    assert.equal(after.peersTile, 1, 'the peer tile counts one peer (one viewer, whatever the renditions)');
    assert.equal(after.peerRows.length, 1, 'one row per peer');
    assert.ok((after.peerRows[0]?.receivedBytes ?? 0) > 0, 'the peer row shows no received bytes');
    assert.ok(
      after.chartPoints > before.chartPoints,
      `the chart did not grow: ${before.chartPoints} → ${after.chartPoints} points`,
    );
    assert.ok(after.peerAreaHeightPx > 0, 'the chart draws no "from peers" area');
    assert.ok(firstReading.uploadedBytes > 0, 'the first viewer shows nothing uploaded');
    assert.equal(firstReading.peerRows.length, 1);

    // Both players send beacons to the demo tracker: the fleet page it prints shows them.
    const fleetUrl = /fleet:\s+(\S+)/.exec((demo as DemoProcess).output())?.[1];
    assert.ok(fleetUrl !== undefined, 'the demo printed no fleet page URL');
    const fleet = await (chromium as LaunchedChromium).browser.newPage();
    pages.push(fleet);
    await fleet.goto(fleetUrl);
    // No named functions inside (see readPage).
    await waitForDom(
      fleet,
      'two viewers and bytes from peers on the fleet page',
      WAIT_GUARD_MS,
      () =>
        Number(document.getElementById('viewers')?.textContent ?? 0) >= 2 &&
        !['–', '0 B', ''].includes(document.getElementById('peer')?.textContent ?? ''),
    );
    const fleetReading = await fleet.evaluate(() =>
      ['viewers', 'offload', 'peer', 'http'].map((id) => document.getElementById(id)?.textContent ?? ''),
    );
    await fleet.screenshot({ path: `${OUTPUT_DIR}demo-fleet.png`, fullPage: true });
    console.log(`      fleet page: viewers, offload, from peers, from HTTP = ${fleetReading.join(', ')}`);
  });

  it("demo/script-tag.html (hls.js's dist file, the script-tag bundle, the README's lines) gets segments from a demo viewer", async () => {
    const first = await openViewer();
    await waitVideoTime(first, 4, WAIT_GUARD_MS);
    const plain = await openViewer('script-tag.html');
    await waitForDom(plain, 'bytes from peers in the stats of the script-tag page', WAIT_GUARD_MS, () => {
      const text = document.getElementById('stats')?.textContent ?? '';
      return text !== '' && (JSON.parse(text) as { p2pBytes: number }).p2pBytes > 0;
    });
    const stats = await plain.evaluate(
      () =>
        JSON.parse(document.getElementById('stats')?.textContent ?? '{}') as {
          p2pBytes: number;
          connectedPeers: number;
        },
    );
    assert.ok(stats.p2pBytes > 0);
    assert.equal(stats.connectedPeers, 1);
  });
});
