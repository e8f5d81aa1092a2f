import type { Page } from 'puppeteer-core';

/**
 * Read the final snapshot of a test/browser/pages/viewer.html page and stop its player and
 * peercdn instance. `T` is the part of the snapshot the caller reads.
 */
export function stopViewerPage<T>(page: Page): Promise<T> {
  return page.evaluate(() => {
    const viewer = (window as unknown as { viewer: { snapshot(): unknown; destroy(): void } }).viewer;
    const snapshot = viewer.snapshot();
    viewer.destroy();
    return snapshot;
  }) as Promise<T>;
}
