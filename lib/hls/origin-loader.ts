import type { HlsConfig, Loader, LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats } from 'hls.js';
import type { Engine } from '../engine/engine.ts';
import type { OriginRequestKind, Origins } from '../engine/origins.ts';
import { newStats, resetStats } from './loader-stats.ts';

interface Attempt<C extends LoaderContext> {
  readonly origin: number;
  readonly loader: Loader<C>;
}

/**
 * An HTTP load spread over the configured origins, through hls.js's own loader (`config.loader`):
 * the URL moves to the origin picked by weight among the healthy ones; an error, refused
 * connection or timeout retries at once on another origin inside this one `load()` (hls.js's
 * retry ladder is never reached while an origin is up); when `hedgeAfterMs(context)` says so, a
 * request still running then gets a second one to another origin — the first to succeed wins, the
 * other is aborted and its bytes counted. A URL under no configured origin is loaded as it is.
 */
export class OriginLoader<C extends LoaderContext> implements Loader<C> {
  context: C | null = null;
  stats: LoaderStats = newStats();
  readonly #engine: Engine;
  readonly #origins: Origins;
  readonly #kind: OriginRequestKind;
  readonly #hlsConfig: HlsConfig;
  readonly #hedgeAfterMs: (context: C) => number | null;
  #request: {
    readonly config: LoaderConfiguration;
    readonly callbacks: LoaderCallbacks<C>;
    readonly homeIndex: number;
  } | null = null;
  #attempts: Attempt<C>[] = [];
  readonly #tried: number[] = [];
  #winner: Loader<C> | null = null;
  // The attempt whose bytes hls.js is streaming (a streaming loader's progress): the only one left.
  #streaming: Attempt<C> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #done = false;

  constructor(
    engine: Engine,
    origins: Origins,
    kind: OriginRequestKind,
    hlsConfig: HlsConfig,
    hedgeAfterMs: (context: C) => number | null = () => null,
  ) {
    this.#engine = engine;
    this.#origins = origins;
    this.#kind = kind;
    this.#hlsConfig = hlsConfig;
    this.#hedgeAfterMs = hedgeAfterMs;
  }

  load(context: C, config: LoaderConfiguration, callbacks: LoaderCallbacks<C>): void {
    this.context = context;
    const homeIndex = this.#origins.indexOf(context.url);
    this.#request = { config, callbacks, homeIndex };
    this.#start(homeIndex === -1 ? -1 : (this.#origins.chooseOrigin(this.#tried, this.#kind) ?? -1), this.stats);
    const hedgeMs = homeIndex === -1 ? null : this.#hedgeAfterMs(context);
    if (hedgeMs === null) return;
    this.#timer = setTimeout(() => {
      const origin = this.#attempts.length === 1 ? this.#origins.chooseOrigin(this.#tried, this.#kind) : null;
      if (origin !== null) this.#start(origin, newStats());
    }, hedgeMs);
  }

  abort(): void {
    if (this.#done) return;
    this.#stop();
    this.stats.aborted = true;
    if (this.context !== null) this.#request?.callbacks.onAbort?.(this.stats, this.context, null);
  }

  destroy(): void {
    this.#stop();
    this.#winner?.destroy();
    this.#request = null;
    this.context = null;
  }

  getResponseHeader(name: string): string | null {
    return this.#winner?.getResponseHeader?.(name) ?? null;
  }

  getCacheAge(): number | null {
    return this.#winner?.getCacheAge?.() ?? null;
  }

  // One request to `origin` (-1: the URL as it is) through hls.js's loader, filling `stats`.
  #start(origin: number, stats: LoaderStats): void {
    const context = this.context;
    const request = this.#request;
    if (context === null || request === null) return;
    const { config, callbacks, homeIndex } = request;
    const loader = new this.#hlsConfig.loader(this.#hlsConfig) as Loader<C>;
    loader.stats = stats;
    const attempt = { origin, loader };
    this.#attempts.push(attempt);
    if (origin !== -1) this.#tried.push(origin);
    const url = origin === -1 ? context.url : this.#origins.url(context.url, homeIndex, origin);
    loader.load({ ...context, url }, config, {
      onSuccess: (response, loaded, _context, details) => {
        this.#win(attempt);
        const { loading } = loaded;
        if (origin !== -1)
          this.#origins.recordTransfer(
            origin,
            loaded.loaded,
            loading.first - loading.start,
            loading.end - loading.start,
          );
        this.#adopt(loaded);
        callbacks.onSuccess(
          { ...response, url: this.#back(response.url, origin, homeIndex) },
          this.stats,
          context,
          details,
        );
      },
      onProgress: (loaded, _context, data, details) => {
        if (this.#done) return;
        if (this.#streaming === null) this.#streamFrom(attempt);
        if (this.#streaming !== attempt) return;
        this.#adopt(loaded);
        callbacks.onProgress?.(this.stats, context, data, details);
      },
      // A 404 goes on to the next origin too, but marks this one down only when it repeats.
      onError: (error, _context, details) =>
        this.#failed(attempt, error.code === 404 ? 'not-found' : 'error', () =>
          callbacks.onError(error, context, details, this.stats),
        ),
      onTimeout: (_stats, _context, details) =>
        this.#failed(attempt, 'timeout', () => callbacks.onTimeout(this.stats, context, details)),
      onAbort: () => undefined,
    });
  }

  // An attempt failed: its origin backs off; unless another attempt (a hedge) still runs, the next
  // origin not yet tried gets the request at once; with none left, hls.js hears the failure.
  #failed(attempt: Attempt<C>, reason: 'error' | 'timeout' | 'not-found', report: () => void): void {
    if (this.#done) return;
    this.#attempts = this.#attempts.filter((other) => other !== attempt);
    const { origin, loader } = attempt;
    if (origin !== -1) this.#origins.failed(origin, reason, loader.stats.loaded);
    if (this.#attempts.length > 0) return;
    // Bytes already streamed to hls.js cannot be taken back: hls.js retries the fragment itself.
    const next = origin === -1 || this.#streaming !== null ? null : this.#origins.chooseOrigin(this.#tried, this.#kind);
    if (next === null) {
      this.#done = true;
      clearTimeout(this.#timer);
      this.#adopt(loader.stats);
      report();
      return;
    }
    resetStats(this.stats);
    this.#start(next, this.stats);
  }

  // What hls.js reads is `this.stats`: a hedge's own stats are copied in (keeping hls.js's retry count).
  #adopt(stats: LoaderStats): void {
    if (stats !== this.stats) Object.assign(this.stats, { ...stats, retry: this.stats.retry });
  }

  // The first success wins: every other attempt is stopped; what it received still cost its origin.
  #win(winner: Attempt<C>): void {
    this.#winner = winner.loader;
    this.#countOthers(winner);
    this.#stop();
  }

  // The first attempt to stream bytes is the one hls.js gets them from: no hedge runs beside it.
  #streamFrom(attempt: Attempt<C>): void {
    this.#streaming = attempt;
    clearTimeout(this.#timer);
    this.#countOthers(attempt);
    for (const other of this.#attempts) if (other !== attempt) other.loader.destroy();
    this.#attempts = [attempt];
  }

  // What the attempts beside `kept` received still cost their origins.
  #countOthers(kept: Attempt<C>): void {
    for (const other of this.#attempts) {
      if (other === kept) continue;
      const bytes = other.loader.stats.loaded;
      this.#engine.httpBytesLoaded(bytes);
      if (other.origin !== -1) this.#origins.counted(other.origin, bytes);
    }
  }

  #stop(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    const running = this.#attempts.filter(({ loader }) => loader !== this.#winner);
    this.#attempts = [];
    for (const { loader } of running) loader.destroy();
  }

  // A response URL from origin `from`, reported under the request's own origin (hls.js resolves
  // a playlist's relative URLs against it); a redirect elsewhere stays as it is.
  #back(url: string, from: number, home: number): string {
    return from !== -1 && this.#origins.indexOf(url) === from ? this.#origins.url(url, from, home) : url;
  }
}
