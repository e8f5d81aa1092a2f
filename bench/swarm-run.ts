// One swarm run: N headless-Chromium viewers of the sample stream against a fresh origin (and a
// tracker when P2P is on), joins staggered, optional churn; returns what was measured.
import type { Browser, Page } from 'puppeteer-core';
import { sumCounts } from '../demo/origin-counters.ts';
import { startOriginServer, type OriginByteCounts, type OriginServer } from '../demo/origin-server.ts';
import { launchChromium, newViewerPage } from '../test/helpers/chromium.ts';
import { assertViewerStarted, haltViewerPage, stopViewerPage } from '../test/helpers/viewer-page.ts';
import { PAGE_ROUTES } from '../test/helpers/stack.ts';
import { startTracker } from '../tracker/server.ts';
import type { ViewerSegmentRecord } from './cross-region-bytes.ts';
import { processTreeUsage, type ProcessUsage } from './process-usage.ts';

export interface SwarmRunOptions {
  readonly p2p: boolean;
  readonly viewers: number;
  readonly mode: 'vod' | 'live';
  readonly staggerSeconds: number;
  readonly durationSeconds: number;
  /** Fixed rendition index, or -1 for hls.js ABR. */
  readonly level: number;
  readonly churnEvents: number;
  /** peercdn's `startupPeerWaitMs` (0 = its default: startup at HTTP speed). */
  readonly startupPeerWaitMs: number;
  /** peercdn's `silentPeerFallback`. */
  readonly silentPeerFallback?: boolean;
  readonly random: () => number;
  readonly browsers: number;
  /** Origins serving the stream (peercdn's `origins`, equal weights); the first also serves the pages. */
  readonly origins?: number;
  /** Seconds after the start at which the last origin fails: 5xx for 6 s, then stopped for 6 s, then back; null for never. */
  readonly originFaultAtSeconds?: number | null;
  /** Regions the viewers are spread over in turn (peercdn's `region` setting); 1 = no region hints. */
  readonly regions?: number;
  /** Added to every data-channel message between viewers of different regions (the viewer page's crossRegionDelayMs). */
  readonly crossRegionDelayMs?: number;
  /** Whether the origins serve hash manifests beside the playlists (peers' segments verified); default true. */
  readonly hashManifests?: boolean;
  /**
   * In the P2P run, the viewers of odd or even index play with plain hls.js (no peercdn): startup
   * compared within one run, beside the same swarm's uploads (see `plainViewer`); null: none.
   */
  readonly mixed?: MixedViewers | null;
}

/** Which viewers of a mixed run play with plain hls.js, by index. */
export type MixedViewers = 'odd' | 'even';

/** A viewer's index from its id (`viewer-<index>`, as `runSwarm` names them). */
export const viewerIndex = (viewerId: string): number => Number(viewerId.split('-')[1]);

/** Whether viewer `index` of a `mixed` run plays with plain hls.js. */
export function plainViewer(index: number, mixed: MixedViewers | null | undefined): boolean {
  return mixed === 'odd' ? index % 2 === 1 : mixed === 'even' ? index % 2 === 0 : false;
}

// The fault sequence of --origin-fault-at: answers 5xx, then refuses connections, then recovers.
const FAULT_PHASE_MS = 6000;

/** What one viewer page reported (see test/browser/pages/viewer.html). */
export interface ViewerSnapshot {
  readonly firstPlayingMs: number | null;
  readonly stalls: number;
  readonly stallMs: number;
  readonly fatalErrors: string[];
  readonly playedSeconds: number;
  readonly droppedFrames: number;
  /** Absent in results before 2026-11-30 18:30: `atMs` (ms from page load) on events, `startupMarks` (hls.js events by the same clock). */
  readonly peerEvents: { type: string; atMs?: number }[];
  readonly segments?: ViewerSegmentRecord[];
  readonly startupMarks?: Record<string, number>;
  /** This viewer's peer id, and the bytes it received from each connected peer at the end. */
  readonly peerId?: string | null;
  readonly peers?: { peerId: string; receivedBytes: number }[];
  readonly stats: {
    readonly httpBytes: number;
    readonly p2pBytes: number;
    /** Absent in results of releases before the region setting. */
    readonly p2pBytesByRegion?: Readonly<Record<string, number>>;
    readonly uploadedBytes: number;
    readonly connectedPeers: number;
    readonly peerFallbacks: number;
  } | null;
}

export interface ViewerResult extends ViewerSnapshot {
  readonly viewerId: string;
  readonly joinedAtSeconds: number;
  readonly leftEarly: boolean;
  readonly originSegmentBytes: number;
}

export interface SwarmRunResult {
  readonly viewers: ViewerResult[];
  /** All origins together. */
  readonly origin: OriginByteCounts;
  /** Segment bytes each origin served. */
  readonly originSegmentBytes: number[];
  readonly wallSeconds: number;
  readonly browserUsage: ProcessUsage[];
}

const SETTLE_MS = 2000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Run one configuration; every server and browser it starts is stopped before it returns or throws. */
export async function runSwarm(options: SwarmRunOptions, signal: AbortSignal): Promise<SwarmRunResult> {
  const hashManifests = options.hashManifests ?? true;
  const origin = await startOriginServer({ staticRoutes: PAGE_ROUTES, hashManifests });
  const origins: OriginServer[] = [origin];
  while (origins.length < (options.origins ?? 1))
    origins.push(await startOriginServer({ liveEpochMs: origin.liveEpochMs, hashManifests }));
  const faultTimers: ReturnType<typeof setTimeout>[] = [];
  const tracker = options.p2p ? await startTracker({ host: '127.0.0.1', port: 0 }) : null;
  const chromiums = await Promise.all(Array.from({ length: options.browsers }, () => launchChromium()));
  const usageAtStart = chromiums.map((c) => processTreeUsage(c.browser.process()?.pid ?? -1));
  try {
    for (const chromium of chromiums) await chromium.allowWebRtc(origin.url);
    const pages = new Map<
      string,
      { page: Page; joinedAtSeconds: number; leftEarly: boolean; final?: ViewerSnapshot }
    >();
    const startedMs = Date.now();
    const failing = origins[origins.length - 1] as OriginServer;
    const faultAtSeconds = options.originFaultAtSeconds ?? null;
    if (faultAtSeconds !== null && origins.length > 1) {
      const atMs = faultAtSeconds * 1000;
      faultTimers.push(
        setTimeout(() => failing.setFaults({ errorRate: 1 }), atMs),
        setTimeout(() => void failing.stop(), atMs + FAULT_PHASE_MS),
        setTimeout(
          () => {
            failing.setFaults({});
            void failing.resume();
          },
          atMs + 2 * FAULT_PHASE_MS,
        ),
      );
    }
    let nextViewer = 0;
    const open = async (): Promise<void> => {
      const index = nextViewer++;
      const viewerId = `viewer-${index}`;
      const browser = (chromiums[index % chromiums.length] as { browser: Browser }).browser;
      const page = await newViewerPage(browser);
      pages.set(viewerId, { page, joinedAtSeconds: (Date.now() - startedMs) / 1000, leftEarly: false });
      const regions = options.regions ?? 1;
      const region = regions > 1 ? `r${index % regions}` : null;
      const query = new URLSearchParams({
        src: `/${options.mode}/master.m3u8`,
        tracker: tracker === null || plainViewer(index, options.mixed) ? '' : tracker.url,
        ...(region === null ? {} : { region }),
        ...(region === null || !options.crossRegionDelayMs
          ? {}
          : { crossRegionDelayMs: String(options.crossRegionDelayMs) }),
        ...(origins.length > 1 ? { origins: origins.map((o) => `${o.url}/`).join(',') } : {}),
        viewer: viewerId,
        level: String(options.level),
        ...(options.startupPeerWaitMs > 0 ? { startupWait: String(options.startupPeerWaitMs) } : {}),
        ...(options.silentPeerFallback === true ? { silentPeerFallback: '1' } : {}),
      });
      await page.goto(`${origin.url}/pages/viewer.html?${query.toString()}`);
      // A page that failed to start (stale bundle, bad setting) stops the run now, saying why.
      await assertViewerStarted(page, viewerId);
    };
    const totalSeconds = (options.viewers - 1) * options.staggerSeconds + options.durationSeconds;
    // Churn: viewers leave (and a new one joins at once) at seeded times after everyone joined.
    const churnAtSeconds = Array.from(
      { length: options.churnEvents },
      () => (options.viewers - 1) * options.staggerSeconds + options.random() * options.durationSeconds * 0.6,
    ).sort((a, b) => a - b);
    for (let i = 0; i < options.viewers; i++) {
      if (signal.aborted) throw new Error('aborted');
      await open();
      if (i < options.viewers - 1) await sleep(options.staggerSeconds * 1000);
    }
    for (const atSeconds of churnAtSeconds) {
      const waitMs = startedMs + atSeconds * 1000 - Date.now();
      if (waitMs > 0) await sleep(waitMs);
      if (signal.aborted) throw new Error('aborted');
      const active = [...pages.entries()].filter(([, v]) => !v.leftEarly);
      const [, leaving] = active[Math.floor(options.random() * active.length)] as (typeof active)[number];
      leaving.final = await stopViewerPage<ViewerSnapshot>(leaving.page);
      leaving.leftEarly = true;
      await leaving.page.close();
      await open();
    }
    const remainingMs = startedMs + totalSeconds * 1000 - Date.now();
    if (remainingMs > 0) await sleep(remainingMs);
    const running = [...pages.values()].filter((entry) => entry.final === undefined);
    // Every viewer stops loading first: stopped one by one, the first would leave the others'
    // transfers from them to the origin (the run's last segments, counted as origin copies).
    await Promise.all(running.map((entry) => haltViewerPage(entry.page)));
    for (const entry of running) entry.final = await stopViewerPage<ViewerSnapshot>(entry.page);
    await sleep(SETTLE_MS);
    const counts = sumCounts(origins.map((o) => o.counts()));
    const browserUsage = chromiums.map((c, i) => {
      const now = processTreeUsage(c.browser.process()?.pid ?? -1);
      const before = usageAtStart[i] as ProcessUsage;
      return { cpuSeconds: now.cpuSeconds - before.cpuSeconds, rssBytes: now.rssBytes, processes: now.processes };
    });
    const viewers = [...pages.entries()].map(([viewerId, entry]) => ({
      ...(entry.final as ViewerSnapshot),
      viewerId,
      joinedAtSeconds: entry.joinedAtSeconds,
      leftEarly: entry.leftEarly,
      originSegmentBytes: counts.byViewer[viewerId]?.segmentBytes ?? 0,
    }));
    return {
      viewers,
      origin: counts,
      originSegmentBytes: origins.map((o) => o.counts().segmentBytes),
      wallSeconds: (Date.now() - startedMs) / 1000,
      browserUsage,
    };
  } finally {
    for (const timer of faultTimers) clearTimeout(timer);
    await Promise.all(chromiums.map((c) => c.close()));
    await Promise.all([...origins.map((o) => o.close()), tracker?.close()]);
  }
}
