// Waits inside a Chromium page on the page's own events instead of re-reading it on a timer: a DOM
// condition re-checked on every DOM mutation (puppeteer's MutationObserver mode), the media
// element's position on each `timeupdate`. Each has a liveness guard that names what it waited for.
import type { EvaluateFunc, Page } from 'puppeteer-core';

/**
 * Resolves once `condition(...args)` holds in the page, re-checked whenever its DOM changes; past
 * `guardMs` rejects naming `what`. The condition must read only the DOM (nothing else wakes it), and
 * hold no named functions (tsx's keepNames would wrap them in a helper the page lacks).
 */
export async function waitForDom<A extends unknown[]>(
  page: Page,
  what: string,
  guardMs: number,
  condition: EvaluateFunc<A>,
  ...args: A
): Promise<void> {
  try {
    await page.waitForFunction(condition, { polling: 'mutation', timeout: guardMs }, ...args);
  } catch (error) {
    throw new Error(`gave up waiting (${guardMs} ms): ${what}`, { cause: error });
  }
}

/** Resolves once the page's first `<video>` reached `seconds`, checked on each of its `timeupdate` events. */
export async function waitVideoTime(page: Page, seconds: number, guardMs: number): Promise<void> {
  const failure = await page.evaluate(
    (target: number, ms: number) =>
      new Promise<string | null>((resolve) => {
        const video = document.querySelector('video');
        if (video === null) {
          resolve('the page has no <video>');
          return;
        }
        if (video.currentTime >= target) {
          resolve(null);
          return;
        }
        const stop = new AbortController();
        const guard = setTimeout(() => {
          stop.abort();
          resolve(`gave up waiting (${ms} ms): the video to play to ${target} s (at ${video.currentTime} s)`);
        }, ms);
        video.addEventListener(
          'timeupdate',
          () => {
            if (video.currentTime < target) return;
            clearTimeout(guard);
            stop.abort();
            resolve(null);
          },
          { signal: stop.signal },
        );
      }),
    seconds,
    guardMs,
  );
  if (failure !== null) throw new Error(failure);
}
