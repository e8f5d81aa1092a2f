// The hostile bench's other figures: what verification costs (WebCrypto SHA-256 of a 2-MB segment,
// in Node and in Chromium) and what it does to offload (4 Node viewers in lockstep, hash manifests
// on vs off); and the markdown summary.
import { startOriginServer } from '../demo/origin-server.ts';
import { startTracker } from '../tracker/server.ts';
import { launchChromium } from '../test/helpers/chromium.ts';
import { startPlayerViewer, until, type PlayerViewer } from '../test/helpers/node-viewer.ts';
import { percentile } from './figures.ts';
import type { CaseResult } from './hostile.ts';

const SEGMENT_BYTES = 2 * 1024 * 1024;
const DIGESTS = 200;

export interface DigestCost {
  readonly medianMs: number;
  readonly p99Ms: number;
}

// The page runs this loop as source text (a compiled function's text may carry the compiler's
// helpers); nodeDigestTimes is the same loop in Node.
const DIGEST_LOOP = `async (bytes, count) => {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 2654435761) >>> 24;
  const times = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await crypto.subtle.digest('SHA-256', data);
    times.push(performance.now() - start);
  }
  return times;
}`;

async function nodeDigestTimes(bytes: number, count: number): Promise<number[]> {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 2654435761) >>> 24;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await crypto.subtle.digest('SHA-256', data);
    times.push(performance.now() - start);
  }
  return times;
}

const cost = (times: readonly number[]): DigestCost => ({
  medianMs: Number(percentile(times, 50).toFixed(3)),
  p99Ms: Number(percentile(times, 99).toFixed(3)),
});

export async function measureWebCrypto(): Promise<{ node: DigestCost; chromium: DigestCost | string }> {
  const node = cost(await nodeDigestTimes(SEGMENT_BYTES, DIGESTS));
  let chromium: DigestCost | string;
  const origin = await startOriginServer();
  try {
    const launched = await launchChromium();
    try {
      const page = await launched.browser.newPage();
      // A page of http://127.0.0.1 is a secure context, so crypto.subtle is there.
      await page.goto(`${origin.url}/health`);
      const times = (await page.evaluate(`(${DIGEST_LOOP})(${SEGMENT_BYTES}, ${DIGESTS})`)) as number[];
      chromium = cost(times);
    } finally {
      await launched.close();
    }
  } catch (error) {
    chromium = `not measured: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await origin.close();
  }
  return { node, chromium };
}

/** Offload of 4 viewers loading segments 0-9 together, each segment wanted by all at once. */
export async function measureOffload(hashManifests: boolean): Promise<{ offload: number; originBytes: number }> {
  const origin = await startOriginServer({ hashManifests });
  const tracker = await startTracker({ host: '127.0.0.1', port: 0 });
  const viewers: PlayerViewer[] = [];
  try {
    for (let i = 0; i < 4; i++) viewers.push(startPlayerViewer(tracker.url, origin.url));
    await until(() => viewers.every((v) => v.peercdn.stats().connectedPeers === 3), 'a full mesh of 4');
    let wantedBytes = 0;
    for (let sn = 0; sn < 10; sn++) {
      const loaded = await Promise.all(viewers.map((v) => v.load(sn)));
      for (const { data } of loaded) wantedBytes += data.byteLength;
    }
    const originBytes = origin.counts().segmentBytes;
    return { offload: Number((1 - originBytes / wantedBytes).toFixed(4)), originBytes };
  } finally {
    for (const viewer of viewers) viewer.destroy();
    await Promise.all([origin.close(), tracker.close()]);
  }
}

export function hostileMarkdown(report: {
  readonly date: string;
  readonly segments: number;
  readonly results: readonly CaseResult[];
  readonly webCrypto: unknown;
  readonly offload: unknown;
}): string {
  const rows = report.results.map(
    (r) =>
      `| ${r.name} | ${r.hashManifests ? 'yes' : 'no'} | ${r.deliveredCorrupt} | ${r.segmentsFromPeers} | ${r.extraOriginBytes} | ${(r.heapGrowthBytes / 1e6).toFixed(1)} | ${Math.round(r.loadMs)} | ${Math.round(r.timeLostMs)} | ${r.deadlineMisses} | ${r.bannedPeers} | ${r.peerStrikes} | ${r.note} |`,
  );
  return [
    `# Hostile bench (${report.date})`,
    '',
    `\`npm run bench -- hostile\`: one honest library viewer (Node, real WebRTC, real tracker and origin) plays ${report.segments} segments with a real-time simulated player while hostile peers are in its swarm.`,
    "Corrupt = segments handed to the player that differ from the origin's bytes; extra origin = origin bytes beyond those the viewer did not get from peers; heap = JS heap + ArrayBuffers after GC, whole process (hostile peers included); time lost = load time beyond the baseline case.",
    '',
    '| case | manifest | corrupt delivered | from peers | extra origin B | heap MB | load ms | time lost ms | deadline misses | banned | strikes | note |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `WebCrypto SHA-256 of a 2-MB segment (${DIGESTS} digests): ${JSON.stringify(report.webCrypto)}`,
    '',
    `Offload, 4 Node viewers loading segments 0-9 together: ${JSON.stringify(report.offload)}`,
    '',
  ].join('\n');
}
