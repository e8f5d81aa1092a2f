import assert from 'node:assert/strict';
import type { Browser, Page } from 'puppeteer-core';
import { newViewerPage } from './chromium.ts';
import { guarded } from './wait-for.ts';

/** What test/browser/pages/viewer.html reports about its player (the fields tests read). */
export interface ViewerSnapshot {
  readonly firstPlayingMs: number | null;
  readonly stalls: number;
  readonly fatalErrors: string[];
  readonly playedSeconds: number;
  readonly segments: {
    source: string;
    sequenceNumber: number;
    byteLength: number;
    swarmId: string;
    durationMs: number;
    /** When it was loaded, ms after the page loaded. */
    atMs: number;
  }[];
  /** Every main-rendition fragment hls.js started to load (FRAG_LOADING): its rendition, when (ms after the page loaded, the clock of `segments[].atMs`). */
  readonly fragmentsLoading: { sequenceNumber: number; level: number; atMs: number }[];
  /** hls.js's bandwidth estimate, bits per second. */
  readonly bandwidthEstimate: number;
  readonly stats: {
    httpBytes: number;
    p2pBytes: number;
    uploadedBytes: number;
    connectedPeers: number;
    peerFallbacks: number;
    segmentsRejected: number;
    segmentsVerified: number;
  } | null;
  /** peercdn `error` events, as "code: message". */
  readonly errors: string[];
  /** Peer ids this viewer banned (`peer-banned`). */
  readonly bans: string[];
  /**
   * With `recordHashes`: the SHA-256 (hex) of every fragment handed to hls.js, by URL and byte range
   * (`rangeEnd` exclusive; 0 and 0 for a whole file).
   */
  readonly delivered: { url: string; rangeStart: number; rangeEnd: number; sha256: string }[];
}

// Liveness guard for waits (not a speed assertion): a broken build fails here instead of hanging.
const WAIT_GUARD_MS = 120_000;

export interface ViewerOptions {
  readonly originUrl: string;
  readonly trackerUrl: string;
  readonly mode: 'vod' | 'live';
  /** Sent to the origin as X-Viewer-Id, so its counter knows whose bytes these are. */
  readonly viewerId: string;
  /** Fixed rendition index, or -1 for hls.js's ABR. */
  readonly level?: number;
  /** Page query parameters beyond these (see the page's header comment). */
  readonly extraQuery?: Readonly<Record<string, string>>;
}

/** Open test/browser/pages/viewer.html in a window of its own, playing through peercdn. */
export async function openViewerPage(browser: Browser, options: ViewerOptions): Promise<Page> {
  const page = await newViewerPage(browser);
  const query = new URLSearchParams({
    src: `/${options.mode}/master.m3u8`,
    tracker: options.trackerUrl,
    viewer: options.viewerId,
    level: String(options.level ?? 0),
    ...options.extraQuery,
  });
  try {
    await page.goto(`${options.originUrl}/pages/viewer.html?${query.toString()}`);
    await assertViewerStarted(page, options.viewerId);
  } catch (error) {
    await page.close().catch(() => undefined);
    throw error;
  }
  return page;
}

/** Why a viewer page did not start: its page errors (or none recorded); null once `window.viewer` exists. */
function startFailure(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const w = window as unknown as { viewer?: unknown; pageErrors?: string[] };
    if (w.viewer !== undefined) return null;
    return w.pageErrors === undefined || w.pageErrors.length === 0 ? 'no page error recorded' : w.pageErrors.join('; ');
  });
}

/**
 * After `page.goto` (the page's scripts have run): throw a clear error naming the viewer and the
 * page's errors when test/browser/pages/viewer.html did not set up `window.viewer`.
 */
export async function assertViewerStarted(page: Page, viewerId: string): Promise<void> {
  const failure = await startFailure(page);
  if (failure !== null) throw new Error(`${viewerId}: the viewer page did not start (${failure}) at ${page.url()}`);
}

/** The page's current snapshot, without stopping it. */
export function viewerSnapshot(page: Page): Promise<ViewerSnapshot> {
  return page.evaluate(() => (window as unknown as { viewer: { snapshot(): ViewerSnapshot } }).viewer.snapshot());
}

/**
 * Resolve once the viewer played `seconds` (or hit a fatal error, which the caller asserts on): the
 * page settles it on the `timeupdate` that reaches the target, no polling.
 */
export async function waitPlayed(page: Page, seconds: number): Promise<void> {
  await guarded(
    page.evaluate((target: number) => {
      const viewer = (window as unknown as { viewer?: { whenPlayed(seconds: number): Promise<void> } }).viewer;
      if (viewer === undefined) throw new Error('the viewer page has no viewer (it did not start)');
      return viewer.whenPlayed(target);
    }, seconds),
    `${page.url()} to play ${String(seconds)} s`,
    WAIT_GUARD_MS,
  );
}

/** Resolve once a VOD viewer's hls.js buffered the last segment (or hit a fatal error): no load is left in flight. */
export async function waitAllLoaded(page: Page): Promise<void> {
  await guarded(
    page.evaluate(() => {
      const viewer = (window as unknown as { viewer?: { whenAllLoaded(): Promise<void> } }).viewer;
      if (viewer === undefined) throw new Error('the viewer page has no viewer (it did not start)');
      return viewer.whenAllLoaded();
    }),
    `${page.url()} to load the whole stream`,
    WAIT_GUARD_MS,
  );
}

/** One line of segment sources for a log: sequence number, then H (http), p (peer) or c (cache). */
export function sourceLine(snapshot: ViewerSnapshot): string {
  return snapshot.segments
    .map((segment) => `${segment.sequenceNumber}${segment.source === 'http' ? 'H' : segment.source[0]}`)
    .join(' ');
}

/** A test/browser/pages/viewer.html page's player stops loading (loads in flight are aborted); it goes on playing its buffer. */
export async function haltViewerPage(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { viewer?: { halt(): void } }).viewer?.halt());
}

/**
 * Read the final snapshot of a test/browser/pages/viewer.html page and stop its player and
 * peercdn instance. `T` is the part of the snapshot the caller reads.
 */
export async function stopViewerPage<T = ViewerSnapshot>(page: Page): Promise<T> {
  const stopped = await page.evaluate(() => {
    const viewer = (window as unknown as { viewer?: { stop(): unknown } }).viewer;
    return viewer === undefined ? undefined : { snapshot: viewer.stop() };
  });
  if (stopped === undefined) {
    // The page lost its viewer after it started (navigated or reloaded): say so, with its errors.
    throw new Error(`the viewer page has no viewer to stop (${await startFailure(page)}) at ${page.url()}`);
  }
  return stopped.snapshot as T;
}

/**
 * Two viewers in turn, as the P2P playback tests run them: the first plays `firstSeconds`, then the
 * second opens and plays `secondSeconds`; what each handed to hls.js (with `recordHashes`; read
 * before stopping, as the pages record hashes asynchronously), then both stopped.
 */
export async function playInTurn(
  openFirst: () => Promise<Page>,
  openSecond: () => Promise<Page>,
  firstSeconds: number,
  secondSeconds: number,
): Promise<{ a: ViewerSnapshot; b: ViewerSnapshot; delivered: ViewerSnapshot['delivered'][] }> {
  const first = await openFirst();
  await waitPlayed(first, firstSeconds);
  const second = await openSecond();
  await waitPlayed(second, secondSeconds);
  const delivered = await Promise.all([first, second].map(async (page) => (await viewerSnapshot(page)).delivered));
  return { a: await stopViewerPage(first), b: await stopViewerPage(second), delivered };
}

/** A viewer played at least `seconds` with no fatal error and no stall. */
export function assertPlayedWithoutStall(snapshot: ViewerSnapshot, name: string, seconds: number): void {
  assert.deepEqual(snapshot.fatalErrors, [], `${name} had fatal errors`);
  assert.equal(snapshot.stalls, 0, `${name} stalled`);
  assert.ok(snapshot.playedSeconds >= seconds, `${name} played ${snapshot.playedSeconds} s`);
}

/** Viewers among honest peers only: no fatal error, no stall, no ban, no peer segment rejected. */
export function assertHonestPlayback(snapshots: Readonly<Record<string, ViewerSnapshot>>): void {
  for (const [name, snapshot] of Object.entries(snapshots)) {
    assert.deepEqual(snapshot.fatalErrors, [], `${name} had fatal errors`);
    assert.equal(snapshot.stalls, 0, `${name} stalled`);
    assert.deepEqual(snapshot.bans, [], `${name} banned an honest peer: ${snapshot.errors.join('; ')}`);
    assert.equal(snapshot.stats?.segmentsRejected, 0, `${name} rejected a segment of an honest peer`);
  }
}
