import type {
  FragmentLoaderConstructor,
  FragmentLoaderContext,
  HlsConfig,
  Loader,
  LoaderCallbacks,
  LoaderConfiguration,
  LoaderStats,
  NullableNetworkDetails,
} from 'hls.js';
import type { Engine, PeerDownload } from '../engine/engine.ts';
import type { PartialSegment, PeerDownloadProgress } from '../peer/peer-link.ts';
import { P2PError } from '../api/errors.ts';
import { peerMissesDeadline } from '../policy/peer-deadline.ts';
import { newStats, resetStats } from './loader-stats.ts';
import { reportCacheHit, reportPeerTransfer, type ReportedTimings } from '../policy/transfer-timing.ts';
import { swarmIdOf } from './fragment-swarm.ts';

type FragmentCallbacks = LoaderCallbacks<FragmentLoaderContext>;

// A prefetch that waits for peers re-checks the playhead at least this often (seeks, rate changes).
const PREFETCH_RECHECK_MS = 1000;
// Stop waiting for a seeding peer this long before the segment plays, leaving time for HTTP.
const WAIT_MARGIN_SECONDS = 4;
// A running peer transfer's pace is compared with the playhead at least this often.
const DEADLINE_CHECK_MS = 250;
// Stop waiting for the first peers to connect this long before the segment plays.
const WARMUP_MARGIN_SECONDS = 1.5;

/**
 * Build the `fLoader` class for hls.js. Each fragment: local cache, then a connected peer that
 * has it, then HTTP through hls.js's own default loader (`config.loader`).
 *
 * Stats reported to hls.js (its ABR reads them) follow the rule in loader-stats.ts: HTTP as
 * hls.js measured it; a peer transfer at its real pace, or at HTTP's measured pace when that is
 * faster; a cache hit as its original transfer.
 */
export function createFragmentLoaderClass(engine: Engine): FragmentLoaderConstructor {
  return class PeerCDNFragmentLoader implements Loader<FragmentLoaderContext> {
    context: FragmentLoaderContext | null = null;
    stats: LoaderStats = newStats();
    readonly #hlsConfig: HlsConfig;
    #http: Loader<FragmentLoaderContext> | null = null;
    #peerDownload: PeerDownload | null = null;
    #timers: ReturnType<typeof setTimeout>[] = [];
    #callbacks: FragmentCallbacks | null = null;
    #finished = false;
    #loadStartedMs = 0;
    #unsubscribe: (() => void) | null = null;

    constructor(hlsConfig: HlsConfig) {
      this.#hlsConfig = hlsConfig;
    }

    load(context: FragmentLoaderContext, config: LoaderConfiguration, callbacks: FragmentCallbacks): void {
      this.context = context;
      this.#callbacks = callbacks;
      const swarmId = engine.p2pEnabled ? swarmIdOf(context, engine.config.swarmId) : null;
      const sequenceNumber = context.frag.sn;
      if (swarmId === null || typeof sequenceNumber !== 'number') {
        this.#loadHttp(context, config, callbacks, null);
        return;
      }
      // Anything that throws in the peer path (a missing or broken runtime API) ends as an `error`
      // event and this segment over HTTP, never as an exception hls.js sees.
      let cached: ReturnType<typeof engine.cached>;
      try {
        engine.joinSwarm(swarmId);
        cached = engine.cached(swarmId, sequenceNumber);
      } catch (error) {
        this.#peerPathFailed(error, context, config, callbacks);
        return;
      }
      if (cached !== undefined) {
        // hls.js transfers the buffer to its transmux worker (detaching it): hand it a copy.
        this.#succeed(cached.data.slice(0), reportCacheHit(cached.downloadMs, performance.now()));
        engine.segmentLoaded({ source: 'cache', swarmId, sequenceNumber, data: cached.data, durationMs: cached.downloadMs, peerId: null, startSeconds: context.frag.start });
        return;
      }
      this.#loadStartedMs = performance.now();
      this.#chooseOrFallBack(context, config, callbacks, swarmId, sequenceNumber);
    }

    #chooseOrFallBack(
      context: FragmentLoaderContext,
      config: LoaderConfiguration,
      callbacks: FragmentCallbacks,
      swarmId: string,
      sequenceNumber: number,
    ): void {
      try {
        this.#choose(context, config, callbacks, swarmId, sequenceNumber);
      } catch (error) {
        this.#peerPathFailed(error, context, config, callbacks);
      }
    }

    // Decide between peer, waiting for a peer, and HTTP; called again whenever peers' availability
    // changes while we wait, and HTTP is used once the wait deadline passes.
    #choose(
      context: FragmentLoaderContext,
      config: LoaderConfiguration,
      callbacks: FragmentCallbacks,
      swarmId: string,
      sequenceNumber: number,
    ): void {
      if (this.#finished) return;
      this.#stopWaiting();
      const secondsUntilNeeded = engine.secondsUntil(context.frag.start);
      const decision = engine.decide(swarmId, sequenceNumber, secondsUntilNeeded);
      if (decision.kind === 'peer' && this.#loadFromPeer(context, config, callbacks, swarmId, sequenceNumber, decision.peerId)) {
        return;
      }
      const retry = (): void => this.#chooseOrFallBack(context, config, callbacks, swarmId, sequenceNumber);
      if (decision.kind === 'prefetch-wait' && secondsUntilNeeded !== null) {
        // Decide again when a peer's availability changes or when the segment enters the HTTP window.
        const untilWindowMs = (secondsUntilNeeded - engine.config.httpWindowSeconds) * 1000;
        this.#unsubscribe = engine.onNextAvailabilityChange(swarmId, retry);
        this.#timers.push(setTimeout(retry, Math.max(50, Math.min(untilWindowMs, PREFETCH_RECHECK_MS))));
        return;
      }
      // Waiting for a seeding peer may last while the segment is not needed soon (keep a margin for
      // the transfer itself), and at least `seederWaitMs`.
      const slackMs = secondsUntilNeeded === null ? 0 : (secondsUntilNeeded - WAIT_MARGIN_SECONDS) * 1000;
      // A known seeder is waited for at least `seederWaitMs`. Peers that are still connecting are
      // waited for only while the segment is not needed soon; once connected they deliver in a
      // fraction of a segment's duration, so a smaller margin keeps startup segments off the origin.
      // Before playback starts, the user may trade startup time for peers (`startupPeerWaitMs`).
      const startupMs = engine.startingUp ? this.#loadStartedMs + engine.config.startupPeerWaitMs - performance.now() : 0;
      const remainingMs = Math.max(
        startupMs,
        decision.kind === 'wait'
          ? Math.max(this.#loadStartedMs + engine.config.seederWaitMs - performance.now(), slackMs)
          : secondsUntilNeeded === null
            ? 0
            : (secondsUntilNeeded - WARMUP_MARGIN_SECONDS) * 1000,
      );
      if ((decision.kind === 'wait' || decision.kind === 'wait-for-peers') && remainingMs > 0) {
        this.#unsubscribe = engine.onNextAvailabilityChange(swarmId, retry);
        this.#timers.push(setTimeout(retry, remainingMs));
        return;
      }
      engine.announceLoading(swarmId, sequenceNumber);
      this.#loadHttp(context, config, callbacks, swarmId);
    }

    // The peer path threw: P2P is off for this instance, and this segment comes over HTTP. Once
    // the HTTP load has started, an exception is hls.js's own loader's and goes on to hls.js.
    #peerPathFailed(error: unknown, context: FragmentLoaderContext, config: LoaderConfiguration, callbacks: FragmentCallbacks): void {
      if (this.#http !== null) throw error;
      engine.disableP2P(error);
      if (this.#finished) return;
      this.#stopWaiting();
      this.#peerDownload?.cancel();
      this.#peerDownload = null;
      this.#loadHttp(context, config, callbacks, null);
    }

    #stopWaiting(): void {
      this.#unsubscribe?.();
      this.#unsubscribe = null;
      this.#clearTimers();
    }

    abort(): void {
      if (this.#finished) return;
      this.#countUnfinishedHttp();
      this.#finished = true;
      this.#stopWaiting();
      this.#peerDownload?.cancel();
      this.#peerDownload = null;
      if (this.#http !== null) {
        // hls.js's own loader reports its abort through the callbacks it holds.
        this.#http.abort();
        return;
      }
      this.stats.aborted = true;
      const { context } = this;
      if (context !== null) this.#callbacks?.onAbort?.(this.stats, context, null);
    }

    destroy(): void {
      this.#countUnfinishedHttp();
      this.#finished = true;
      this.#stopWaiting();
      this.#peerDownload?.cancel();
      this.#peerDownload = null;
      this.#http?.destroy();
      this.#http = null;
      this.#callbacks = null;
      this.context = null;
    }

    // An HTTP load stopped midway (seek, switch, teardown) still cost the origin what arrived:
    // count it, so the library's HTTP bytes match what the origin served.
    #countUnfinishedHttp(): void {
      if (!this.#finished && this.#http !== null && this.stats.loaded > 0) engine.httpBytesLoaded(this.stats.loaded);
    }

    getResponseHeader(name: string): string | null {
      return this.#http?.getResponseHeader?.(name) ?? null;
    }

    getCacheAge(): number | null {
      return this.#http?.getCacheAge?.() ?? null;
    }

    #loadFromPeer(
      context: FragmentLoaderContext,
      config: LoaderConfiguration,
      callbacks: FragmentCallbacks,
      swarmId: string,
      sequenceNumber: number,
      peerId: string,
    ): boolean {
      const stats = this.stats;
      // Progress stays out of hls.js's stats until the end (see loader-stats.ts): our own
      // deadlines below move a slow peer transfer to HTTP.
      let firstByteMs = 0;
      let latest: PeerDownloadProgress | null = null;
      // Called on every chunk and on a timer (a slow peer's chunks are far apart).
      const checkDeadline = (): void => {
        if (latest === null) return;
        const secondsUntilNeeded = engine.secondsUntil(context.frag.start);
        const transfer = { elapsedMs: performance.now() - startMs, ...latest };
        if (peerMissesDeadline(transfer, secondsUntilNeeded === null ? null : secondsUntilNeeded * 1000, engine.httpThroughput)) {
          fallBack(new P2PError('peer-timeout', `peer ${peerId} would deliver ${sequenceNumber} too late; the rest comes over HTTP`), true);
        }
      };
      const download = engine.downloadFromPeer(swarmId, peerId, sequenceNumber, (progress) => {
        if (firstByteMs === 0) firstByteMs = performance.now();
        stats.chunkCount += 1;
        latest = progress;
        checkDeadline();
      });
      if (download === null) return false;
      this.#peerDownload = download;
      const startMs = performance.now();
      const policy = config.loadPolicy;
      const firstByteTimeoutMs = Math.min(engine.config.peerFirstByteTimeoutMs, policy.maxTimeToFirstByteMs);
      const loadTimeoutMs = Math.min(engine.config.peerLoadTimeoutMs, policy.maxLoadTimeMs);
      const fallBack = (error: P2PError, tooSlow = false): void => {
        if (this.#finished || this.#peerDownload !== download) return;
        this.#peerDownload = null;
        this.#clearTimers();
        download.cancel(tooSlow);
        const partial = download.partial();
        engine.peerFallback(error);
        engine.announceLoading(swarmId, sequenceNumber);
        if (partial !== null && partial.bytes.byteLength < partial.totalBytes) {
          this.#resumeOverHttp(context, config, callbacks, swarmId, download.peerId, partial);
        } else {
          this.#loadHttp(context, config, callbacks, swarmId);
        }
      };
      this.#timers.push(
        setTimeout(() => {
          if (firstByteMs === 0) {
            fallBack(new P2PError('peer-timeout', `peer ${download.peerId} sent no bytes of ${sequenceNumber} in ${firstByteTimeoutMs} ms`));
          }
        }, firstByteTimeoutMs),
        setInterval(checkDeadline, DEADLINE_CHECK_MS),
        setTimeout(
          () => fallBack(new P2PError('peer-timeout', `peer ${download.peerId} did not deliver ${sequenceNumber} in ${loadTimeoutMs} ms`)),
          loadTimeoutMs,
        ),
      );
      download.promise.then(
        async (data) => {
          if (this.#finished || this.#peerDownload !== download) return;
          const endMs = performance.now();
          // Peers are untrusted: a corrupt segment must never reach the player.
          const problem = await engine.segmentProblem(swarmId, sequenceNumber, data, context.url);
          if (this.#finished || this.#peerDownload !== download) return;
          this.#peerDownload = null;
          this.#clearTimers();
          if (problem !== null) {
            this.#rejectPeerSegment(context, config, callbacks, swarmId, download.peerId, problem);
            return;
          }
          const measured = { startMs, firstByteMs: firstByteMs || endMs, endMs, bytes: data.byteLength };
          this.#succeed(data, reportPeerTransfer(measured, engine.httpThroughput));
          engine.segmentLoaded({ source: 'peer', swarmId, sequenceNumber, data, durationMs: endMs - startMs, peerId: download.peerId, startSeconds: context.frag.start });
        },
        (error: unknown) =>
          fallBack(
            error instanceof P2PError
              ? error
              : new P2PError('peer-error', `peer download of ${sequenceNumber} failed`, { cause: error }),
          ),
      );
      return true;
    }

    // Ban the peer that sent a corrupt segment and load the whole segment over HTTP.
    #rejectPeerSegment(
      context: FragmentLoaderContext,
      config: LoaderConfiguration,
      callbacks: FragmentCallbacks,
      swarmId: string,
      peerId: string,
      problem: string,
    ): void {
      const sequenceNumber = context.frag.sn as number;
      const error = new P2PError('segment-corrupt', `peer ${peerId} sent segment ${sequenceNumber} corrupt (${problem}); it is dropped and the segment comes over HTTP`);
      engine.banPeer(swarmId, peerId, error);
      engine.peerFallback(error);
      engine.announceLoading(swarmId, sequenceNumber);
      this.#loadHttp(context, config, callbacks, swarmId);
    }

    // hls.js's own default loader; it fills our stats object, which hls.js holds (frag.stats).
    #newHttpLoader(): Loader<FragmentLoaderContext> {
      resetStats(this.stats);
      const HttpLoader = this.#hlsConfig.loader;
      const http = new HttpLoader(this.#hlsConfig) as Loader<FragmentLoaderContext>;
      http.stats = this.stats;
      this.#http = http;
      return http;
    }

    #loadHttp(
      context: FragmentLoaderContext,
      config: LoaderConfiguration,
      callbacks: FragmentCallbacks,
      swarmId: string | null,
    ): void {
      const http = this.#newHttpLoader();
      const startMs = performance.now();
      http.load(context, config, {
        ...callbacks,
        onSuccess: (response, stats, ctx, networkDetails) => {
          this.#finished = true;
          const { data } = response;
          const { loading } = stats;
          engine.httpTransferMeasured({ startMs: loading.start, firstByteMs: loading.first, endMs: loading.end, bytes: stats.loaded });
          if (data instanceof ArrayBuffer) {
            const sequenceNumber = ctx.frag.sn;
            if (swarmId !== null && typeof sequenceNumber === 'number' && !engine.destroyed) {
              engine.segmentLoaded({ source: 'http', swarmId, sequenceNumber, data, durationMs: performance.now() - startMs, peerId: null, startSeconds: ctx.frag.start });
            } else {
              engine.httpBytesLoaded(data.byteLength);
            }
          }
          callbacks.onSuccess(response, stats, ctx, networkDetails);
        },
      });
    }

    // The peer delivered the first bytes, then failed or was too slow: fetch only the rest with an
    // HTTP Range request. If the origin does not honour the range, load the whole segment.
    #resumeOverHttp(
      context: FragmentLoaderContext,
      config: LoaderConfiguration,
      callbacks: FragmentCallbacks,
      swarmId: string,
      peerId: string,
      partial: PartialSegment,
    ): void {
      const http = this.#newHttpLoader();
      const startMs = performance.now();
      const received = partial.bytes.byteLength;
      const rangeContext: FragmentLoaderContext = { ...context, rangeStart: received, rangeEnd: partial.totalBytes };
      http.load(rangeContext, config, {
        onSuccess: (response, stats, _ctx, networkDetails) => {
          // Every HTTP load measures HTTP's pace: a viewer whose HTTP loads are all Range resumes
          // would otherwise never know it, and "peer too late" could never fire.
          const { loading } = stats;
          engine.httpTransferMeasured({ startMs: loading.start, firstByteMs: loading.first, endMs: loading.end, bytes: stats.loaded });
          const rest = response.data;
          if (!(rest instanceof ArrayBuffer) || rest.byteLength !== partial.totalBytes - received) {
            // The origin ignored the range: what it sent still counts, then the whole segment.
            if (rest instanceof ArrayBuffer) engine.httpBytesLoaded(rest.byteLength);
            http.destroy();
            this.#loadHttp(context, config, callbacks, swarmId);
            return;
          }
          const whole = new Uint8Array(partial.totalBytes);
          whole.set(partial.bytes, 0);
          whole.set(new Uint8Array(rest), received);
          const sequenceNumber = context.frag.sn as number;
          void engine.segmentProblem(swarmId, sequenceNumber, whole.buffer, context.url).then((problem) => {
            if (this.#finished || this.#http !== http) return;
            if (problem !== null) {
              engine.httpBytesLoaded(rest.byteLength);
              this.#rejectPeerSegment(context, config, callbacks, swarmId, peerId, problem);
              return;
            }
            this.#finishResumed(context, callbacks, swarmId, whole.buffer, received, startMs, stats, networkDetails);
          });
        },
        onError: (error, _ctx, networkDetails, stats) => callbacks.onError(error, context, networkDetails, stats),
        onTimeout: (stats, _ctx, networkDetails) => callbacks.onTimeout(stats, context, networkDetails),
        onAbort: (stats, _ctx, networkDetails) => callbacks.onAbort?.(stats, context, networkDetails),
      });
    }

    #finishResumed(
      context: FragmentLoaderContext,
      callbacks: FragmentCallbacks,
      swarmId: string,
      data: ArrayBuffer,
      peerBytes: number,
      startMs: number,
      stats: LoaderStats,
      networkDetails: NullableNetworkDetails,
    ): void {
      this.#finished = true;
      // ABR sees the HTTP transfer of the rest: its own timing and byte count.
      const sequenceNumber = context.frag.sn as number;
      engine.segmentLoaded({
        source: 'http',
        swarmId,
        sequenceNumber,
        data,
        durationMs: performance.now() - startMs,
        peerId: null,
        peerBytes,
        startSeconds: context.frag.start,
      });
      callbacks.onSuccess({ url: context.url, data }, stats, context, networkDetails);
    }

    #succeed(data: ArrayBuffer, { startMs, firstMs, endMs }: ReportedTimings): void {
      const { context } = this;
      const callbacks = this.#callbacks;
      if (context === null || callbacks === null) return;
      this.#finished = true;
      const stats = this.stats;
      stats.loading.start = startMs;
      stats.loading.first = firstMs;
      stats.loading.end = endMs;
      stats.loaded = data.byteLength;
      stats.total = data.byteLength;
      stats.chunkCount = Math.max(stats.chunkCount, 1);
      // hls.js expects callbacks asynchronously, as a network loader would call them.
      queueMicrotask(() => {
        if (this.#callbacks === callbacks && this.context === context) {
          callbacks.onSuccess({ url: context.url, data }, stats, context, null);
        }
      });
    }

    #clearTimers(): void {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers = [];
    }
  };
}
