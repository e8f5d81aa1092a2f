import type { FragmentLoaderContext, Loader, LoaderCallbacks, LoaderConfiguration, LoaderStats } from 'hls.js';
import { newStats } from '../../lib/hls/loader-stats.ts';

/** Requests this loader class made, for assertions (url and Range). */
export const httpRequests: { url: string; range: string | null }[] = [];

/**
 * A minimal stand-in for hls.js's default loader in Node (hls.js's XhrLoader needs a browser):
 * fetch with hls.js's Range convention (rangeEnd exclusive, 0 = whole), the same callbacks and stats.
 */
export class NodeHttpLoader implements Loader<FragmentLoaderContext> {
  context: FragmentLoaderContext | null = null;
  stats: LoaderStats = newStats();
  readonly #controller = new AbortController();

  // hls.js constructs a loader with its config (subclasses in tests pass it on).
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor
  constructor(_config?: unknown) {}

  load(
    context: FragmentLoaderContext,
    _config: LoaderConfiguration,
    callbacks: LoaderCallbacks<FragmentLoaderContext>,
  ): void {
    if (this.stats.loading.start !== 0) throw new Error('Loader can only be used once.');
    this.context = context;
    const stats = this.stats;
    stats.loading.start = performance.now();
    const range = context.rangeEnd ? `bytes=${context.rangeStart ?? 0}-${context.rangeEnd - 1}` : null;
    httpRequests.push({ url: context.url, range });
    fetch(context.url, { headers: range === null ? {} : { Range: range }, signal: this.#controller.signal })
      .then(async (response) => {
        stats.loading.first = performance.now();
        if (!response.ok) {
          callbacks.onError({ code: response.status, text: response.statusText }, context, null, stats);
          return;
        }
        const data = await response.arrayBuffer();
        stats.loaded = stats.total = data.byteLength;
        stats.loading.end = performance.now();
        callbacks.onSuccess({ url: context.url, data, code: response.status }, stats, context, null);
      })
      .catch((error: unknown) => {
        if (stats.aborted) return;
        callbacks.onError({ code: 0, text: String(error) }, context, null, stats);
      });
  }

  abort(): void {
    this.stats.aborted = true;
    this.#controller.abort();
  }

  destroy(): void {
    this.abort();
  }
}

/** NodeHttpLoader whose segments arrive damaged: one packet's MPEG-TS sync byte overwritten. */
export class CorruptingHttpLoader extends NodeHttpLoader {
  override load(
    context: FragmentLoaderContext,
    config: LoaderConfiguration,
    callbacks: LoaderCallbacks<FragmentLoaderContext>,
  ): void {
    super.load(context, config, {
      ...callbacks,
      onSuccess: (response, stats, ctx, details) => {
        if (response.data instanceof ArrayBuffer && response.data.byteLength > 188 * 4)
          new Uint8Array(response.data)[188 * 3] = 0;
        callbacks.onSuccess(response, stats, ctx, details);
      },
    });
  }
}
