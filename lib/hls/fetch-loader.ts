import type {
  FragmentLoaderContext,
  HlsConfig,
  Loader,
  LoaderCallbacks,
  LoaderConfiguration,
  LoaderStats,
} from 'hls.js';
import { joinChunks } from '../peer/peer-limits.ts';
import { newStats } from './loader-stats.ts';

/**
 * A fragment's HTTP load over `fetch`, in place of hls.js's default XHR loader, so a segment's
 * bytes can be relayed to peers while they arrive (XHR gives binary data only at the end). It keeps
 * hls.js's loader contract as hls.js's own FetchLoader does for fragments: with `onProgress` the
 * body streams through it chunk by chunk and `onSuccess` ends with no data, else `onSuccess` carries
 * the whole body; time to first byte and load time are bounded by the load policy (`onTimeout`); an
 * HTTP error status is an `onError` with that code (0 for a network error); a Range for byte-range
 * fragments and resumes; `fetchSetup` is honoured. No retries: hls.js loads fragments without them
 * (its stream controllers retry a failed fragment), and asks their loaders for no cache age.
 * `abort()` reports `onAbort`; `destroy()` reports nothing.
 */
export class FetchFragmentLoader implements Loader<FragmentLoaderContext> {
  context: FragmentLoaderContext | null = null;
  stats: LoaderStats = newStats();
  readonly #fetchSetup: HlsConfig['fetchSetup'];
  #callbacks: LoaderCallbacks<FragmentLoaderContext> | null = null;
  #controller: AbortController | null = null;
  #response: Response | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ended = false;

  constructor(hlsConfig: Pick<HlsConfig, 'fetchSetup'>) {
    this.#fetchSetup = hlsConfig.fetchSetup;
  }

  load(
    context: FragmentLoaderContext,
    config: LoaderConfiguration,
    callbacks: LoaderCallbacks<FragmentLoaderContext>,
  ): void {
    const stats = this.stats;
    stats.loading.start = performance.now();
    this.context = context;
    this.#callbacks = callbacks;
    const controller = new AbortController();
    this.#controller = controller;
    const headers = new Headers(context.headers);
    if (context.rangeEnd) headers.set('Range', `bytes=${context.rangeStart ?? 0}-${context.rangeEnd - 1}`);
    // fetch's defaults otherwise (GET, mode cors, credentials same-origin), as hls.js's own.
    const init: RequestInit = { signal: controller.signal, headers };
    const { maxTimeToFirstByteMs, maxLoadTimeMs } = config.loadPolicy;
    this.#bound(
      maxTimeToFirstByteMs > 0 && Number.isFinite(maxTimeToFirstByteMs) ? maxTimeToFirstByteMs : maxLoadTimeMs,
    );
    const fetchSetup = this.#fetchSetup;
    // Stopped (aborted, destroyed, timed out) or ended: nothing more is reported.
    const over = (): boolean => this.#callbacks === null || stats.aborted || this.#ended;
    const fail = (code: number, text: string): void => {
      clearTimeout(this.#timer);
      if (over()) return;
      this.#ended = true;
      this.#callbacks?.onError({ code, text }, context, this.#response, stats);
    };
    // A fetchSetup that throws fails this load, as a failed request does.
    new Promise<Request>((resolve) => resolve(fetchSetup?.(context, init) ?? new Request(context.url, init)))
      .then((request) => fetch(request))
      .then(async (response) => {
        const cancel = (): void => void response.body?.cancel().catch(() => undefined);
        if (over()) {
          cancel();
          return;
        }
        this.#response = response;
        const firstMs = Math.max(performance.now(), stats.loading.start);
        this.#bound(maxLoadTimeMs - (firstMs - stats.loading.start));
        if (!response.ok) {
          cancel();
          fail(response.status, response.statusText);
          return;
        }
        stats.loading.first = firstMs;
        // A 206's Content-Length is its range's.
        stats.total = Number(response.headers.get('content-length')) || stats.total;
        const onProgress = this.#callbacks?.onProgress;
        // Read chunk by chunk either way, so `stats.loaded` follows the body (hls.js's ABR reads it
        // during a load, and a stopped load's bytes are counted); without onProgress the chunks
        // are joined at the end.
        const parts: Uint8Array[] = [];
        const reader = response.body?.getReader();
        for (let read = await reader?.read(); read?.done === false; read = await reader?.read()) {
          if (over()) {
            void reader?.cancel().catch(() => undefined);
            return;
          }
          const chunk = read.value;
          stats.loaded += chunk.byteLength;
          // A chunk that is a view into a larger buffer is copied out.
          const bytes = chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
          if (bytes.byteLength === 0) continue;
          if (onProgress === undefined) parts.push(bytes);
          else this.#report(() => onProgress(stats, context, bytes.buffer, response));
        }
        if (over()) return;
        clearTimeout(this.#timer);
        stats.loading.end = Math.max(performance.now(), stats.loading.first);
        const data = onProgress === undefined ? joinChunks(parts, stats.loaded) : new ArrayBuffer(0);
        if (data.byteLength > 0) stats.total = data.byteLength;
        this.#ended = true;
        const { onSuccess } = this.#callbacks as LoaderCallbacks<FragmentLoaderContext>;
        this.#report(() => onSuccess({ url: response.url, data, code: response.status }, stats, context, response));
      })
      .catch((error: unknown) => fail(0, String(error)));
  }

  abort(): void {
    const callbacks = this.#callbacks;
    this.#stop();
    if (this.context !== null) callbacks?.onAbort?.(this.stats, this.context, this.#response);
  }

  destroy(): void {
    this.#stop();
    this.#callbacks = null;
    this.context = null;
    this.#response = null;
    this.#controller = null;
  }

  getResponseHeader(name: string): string | null {
    return this.#response?.headers.get(name) ?? null;
  }

  // From now, the load has `ms` to reach its next stage (first byte, then the end).
  #bound(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const callbacks = this.#callbacks;
      if (callbacks === null || this.context === null) return;
      this.#stop();
      callbacks.onTimeout(this.stats, this.context, this.#response);
    }, ms);
  }

  // A callback that throws is the caller's error, not this load's: the load stops (nothing more
  // is reported) and the error is thrown on, outside the request's promise chain.
  #report(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#ended = true;
      this.#stop();
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #stop(): void {
    clearTimeout(this.#timer);
    if (this.#controller !== null && this.stats.loading.end === 0) {
      this.stats.aborted = true;
      this.#controller.abort();
    }
  }
}

/**
 * Whether an hls.js instance's segments may go over `FetchFragmentLoader` without changing what the
 * site set up: hls.js's own XHR loader (not a site's, even one installed as hls.js's default, nor
 * hls.js's streaming mode, which fetches already); no `xhrSetup` (a site's hook on each request, e.g. credentials) unless a
 * `fetchSetup` says the same for fetch; and a runtime whose fetch streams.
 */
export function canFetchSegments(hls: {
  readonly config?: { readonly loader?: unknown; readonly xhrSetup?: unknown; readonly fetchSetup?: unknown };
}): boolean {
  const { config } = hls;
  const defaults = (hls as { readonly constructor?: { readonly DefaultConfig?: { readonly loader?: unknown } } })
    .constructor?.DefaultConfig;
  const loader = config?.loader;
  return (
    typeof loader === 'function' &&
    loader === defaults?.loader &&
    // hls.js's XhrLoader itself: a site's subclass or replacement does not own its XHR handler.
    Object.hasOwn(loader.prototype as object, 'readystatechange') &&
    (config?.xhrSetup === undefined || config.fetchSetup !== undefined) &&
    typeof fetch === 'function' &&
    typeof AbortController === 'function' &&
    typeof ReadableStream === 'function'
  );
}
