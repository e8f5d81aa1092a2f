import type { Page } from 'puppeteer-core';
import type { Logger } from '../../tracker/log.ts';
import { launchChromium, newViewerPage, type LaunchedChromium } from './chromium.ts';
import { startStack, type Stack } from './stack.ts';
import { openViewerPage, type ViewerOptions } from './viewer-page.ts';

/** An origin, a tracker and a Chromium, shared by the tests of one mocha `describe`. */
export interface BrowserFixture {
  readonly stack: Stack;
  readonly chromium: LaunchedChromium;
  /** A viewer page on this fixture's origin and tracker; closed after the test. */
  openViewer(options: Omit<ViewerOptions, 'originUrl' | 'trackerUrl'>): Promise<Page>;
  /** An empty window, closed after the test. */
  newPage(): Promise<Page>;
  /** Forget a page the test closed itself. */
  forget(page: Page): void;
}

/**
 * Register mocha hooks that start the stack and Chromium before the tests, close each test's
 * pages after it, and stop everything after the last; returns the fixture for use inside tests.
 */
export function useBrowserFixture(
  options: {
    readonly trackerLogger?: Logger;
    /** More folders the origin serves (URL prefix → folder), read when the fixture starts. */
    readonly staticRoutes?: () => Readonly<Record<string, string>>;
  } = {},
): () => BrowserFixture {
  let fixture: BrowserFixture | undefined;
  const pages = new Set<Page>();
  let stack: Stack | undefined;
  let chromium: LaunchedChromium | undefined;

  before(async () => {
    stack = await startStack(options.trackerLogger, options.staticRoutes?.());
    chromium = await launchChromium();
    await chromium.allowWebRtc(stack.origin.url);
    const started = { stack, chromium };
    const track = (page: Page): Page => {
      pages.add(page);
      return page;
    };
    fixture = {
      ...started,
      openViewer: async (options) =>
        track(
          await openViewerPage(started.chromium.browser, {
            ...options,
            originUrl: started.stack.origin.url,
            trackerUrl: started.stack.trackerUrl,
          }),
        ),
      newPage: async () => track(await newViewerPage(started.chromium.browser)),
      forget: (page) => pages.delete(page),
    };
  });

  afterEach(async () => {
    for (const page of pages) await page.close().catch(() => undefined);
    pages.clear();
  });

  after(async () => {
    await chromium?.close();
    await stack?.close();
  });

  return () => {
    if (fixture === undefined) throw new Error('the browser fixture is used outside a test');
    return fixture;
  };
}
