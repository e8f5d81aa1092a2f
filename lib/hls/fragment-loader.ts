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
import type { Engine } from '../engine/engine.ts';
import type { SegmentDelivery } from '../engine/segment-load.ts';
import type { PeerLink } from '../peer/peer-link.ts';
import { reportCacheHit, reportPeerTransfer, type ReportedTimings } from '../policy/transfer-timing.ts';
import { reportDropped, type DroppedSegment } from './dropped-segment.ts';
import { segmentIdOf } from './fragment-swarm.ts';
import type { HttpChunks } from './http-chunks.ts';
import { loadOverHttp } from './http-load.ts';
import { newStats, resetStats } from './loader-stats.ts';
import { PeerAttempt, type PeerAttemptOutcome } from './peer-attempt.ts';
import { resumeHolder, type PeerResume } from './peer-resume.ts';
import { resumeOverRange, type RangeResumeOutcome } from './range-resume.ts';
import type { SpotCheckStarter } from './spot-check.ts';
import type { LoadRequest, PeerLoadRequest } from './load-request.ts';

type FragmentCallbacks = LoaderCallbacks<FragmentLoaderContext>;

/**
 * Makes the HTTP loader of a fragment in place of hls.js's own: origin-routing's with `origins`,
 * else fetch where it can stream (fetch-loader.ts); null leaves hls.js's own.
 */
export type HttpLoaderFactory = (hlsConfig: HlsConfig) => Loader<FragmentLoaderContext> | null;

/** What a source decision follows: the load's start, a wait for peers, a failed peer transfer. */
type ChoiceAfter = 'start' | 'wait' | 'failure';

/** What a load is doing while it is neither idle nor in hls.js's HTTP loader alone. */
interface Step {
  stop(): void;
}

/**
 * The `fLoader` class for hls.js: `createFragmentLoaderClass(engine)` binds it to one engine.
 * Each fragment: local cache, then a connected peer that has it (a `PeerAttempt`), or a wait for
 * one (bounded as `decideSource` says), then HTTP through the `HttpLoaderFactory`'s loader or
 * hls.js's own (`config.loader`); a peer transfer that failed midway is finished by `resumeOverRange`.
 *
 * Stats reported to hls.js (its ABR reads them) follow transfer-timing.ts: HTTP as hls.js measured
 * it; a peer transfer at its real pace, or at HTTP's measured pace when that is faster; a cache hit
 * as its original transfer.
 */
export class FragmentLoader implements Loader<FragmentLoaderContext> {
  context: FragmentLoaderContext | null = null;
  stats: LoaderStats = newStats();
  readonly #engine: Engine;
  readonly #hlsConfig: HlsConfig;
  readonly #httpLoader: HttpLoaderFactory | null;
  readonly #spotCheck: SpotCheckStarter | null;
  #request: LoadRequest | null = null;
  #step: Step | null = null;
  #http: Loader<FragmentLoaderContext> | null = null;
  // A segment's HTTP bytes as they arrive (relayed to peers meanwhile).
  #httpChunks: HttpChunks | null = null;
  // A peer transfer that failed without bytes to resume from gets one more decision, not HTTP at once.
  #decidedAgain = false;
  // A transfer cut midway went on from another peer (once per load).
  #resumedFromPeer = false;
  #finished = false;

  constructor(
    engine: Engine,
    hlsConfig: HlsConfig,
    httpLoader: HttpLoaderFactory | null = null,
    spotCheck: SpotCheckStarter | null = null,
  ) {
    this.#engine = engine;
    this.#hlsConfig = hlsConfig;
    this.#httpLoader = httpLoader;
    this.#spotCheck = spotCheck;
  }

  load(context: FragmentLoaderContext, config: LoaderConfiguration, callbacks: FragmentCallbacks): void {
    const engine = this.#engine;
    this.context = context;
    const segment = engine.p2pEnabled ? segmentIdOf(context, engine) : null;
    // As hls.js's own loaders do: its abandon rules time a load from here while a peer attempt or a wait
    // for peers runs (left at 0, every check would see a load as old as the page).
    const startedAtMs = (this.stats.loading.start = performance.now());
    const request: LoadRequest = {
      context,
      config,
      callbacks,
      segment,
      startedAtMs,
      originLoader: this.#originLoader,
      spotCheck: this.#spotCheck,
    };
    this.#request = request;
    if (request.segment === null) {
      this.#loadHttp(request);
      return;
    }
    const { segment: id } = request;
    // Anything that throws in the peer path (a missing or broken runtime API) ends as an `error`
    // event and this segment over HTTP, never as an exception hls.js sees.
    let cached: ReturnType<typeof engine.cache.get>;
    try {
      engine.joinSwarm(id.swarmId);
      cached = engine.cache.get(id.swarmId, id.sequenceNumber);
    } catch (error) {
      this.#peerPathFailed(request, error);
      return;
    }
    if (cached !== undefined) {
      // hls.js transfers the buffer to its transmux worker (detaching it): hand it a copy.
      this.#succeed(request, cached.data.slice(0), reportCacheHit(cached.downloadMs, performance.now()));
      this.#loaded(request, { source: 'cache', data: cached.data, durationMs: cached.downloadMs, peerId: null });
      return;
    }
    this.#chooseOrFallBack(request);
  }

  abort(): void {
    if (this.#finished) return;
    this.#countUnfinishedHttp();
    this.#finished = true;
    this.#stopStep();
    this.#httpChunks?.stop();
    if (this.#http !== null) {
      // hls.js's own loader reports its abort through the callbacks it holds.
      this.#http.abort();
      return;
    }
    this.stats.aborted = true;
    const request = this.#request;
    if (request !== null) request.callbacks.onAbort?.(this.stats, request.context, null);
  }

  destroy(): void {
    this.#countUnfinishedHttp();
    this.#finished = true;
    this.#stopStep();
    this.#httpChunks?.stop();
    this.#http?.destroy();
    this.#http = null;
    this.#request = null;
    this.context = null;
  }

  getResponseHeader(name: string): string | null {
    return this.#http?.getResponseHeader?.(name) ?? null;
  }

  getCacheAge(): number | null {
    return this.#http?.getCacheAge?.() ?? null;
  }

  #chooseOrFallBack(request: PeerLoadRequest, after: ChoiceAfter = 'start'): void {
    try {
      this.#choose(request, after);
    } catch (error) {
      this.#peerPathFailed(request, error);
    }
  }

  // The peer path threw: P2P is off for this instance, and this segment comes over HTTP. Once
  // the HTTP load has started, an exception is hls.js's own loader's and goes on to hls.js.
  #peerPathFailed(request: LoadRequest, error: unknown): void {
    if (this.#http !== null) throw error;
    this.#engine.disableP2P(error);
    if (this.#finished) return;
    this.#stopStep();
    this.#loadHttp({ ...request, segment: null });
  }

  // Decide between peer, waiting, and HTTP; called again when a wait ends (its time ran out, or a peer's
  // availability changed), and once after a failed peer transfer (then a peer or HTTP: it took time).
  #choose(request: PeerLoadRequest, after: ChoiceAfter): void {
    if (this.#finished) return;
    this.#stopStep();
    const engine = this.#engine;
    const { swarmId, sequenceNumber } = request.segment;
    // hls.js failed on this segment from a peer, or hashes are required and not (yet) at hand: HTTP.
    if (
      engine.served.takeHttpOnly(swarmId, sequenceNumber) ||
      !engine.segmentChecks.peersMayServe(request.context.frag.baseurl)
    ) {
      this.#toHttp(request);
      return;
    }
    const waitedMs = performance.now() - request.startedAtMs;
    const decision = engine.decide(swarmId, sequenceNumber, request.context.frag.start, waitedMs, after === 'wait');
    if (decision.kind === 'wait' && after !== 'failure') {
      const retry = (): void => this.#chooseOrFallBack(request, 'wait');
      const unsubscribe = engine.availability.onNextChange(swarmId, retry);
      const timer = setTimeout(retry, decision.waitMs);
      this.#step = {
        stop: () => {
          unsubscribe();
          clearTimeout(timer);
        },
      };
      return;
    }
    const link = decision.kind === 'peer' ? engine.peerLink(swarmId, decision.peerId) : null;
    if (link === null) this.#toHttp(request);
    else this.#loadFromPeer(request, link, decision.kind === 'peer' && decision.relay === true);
  }

  #loadFromPeer(request: PeerLoadRequest, link: PeerLink, relayed: boolean, resume: PeerResume | null = null): void {
    const attempt: PeerAttempt = new PeerAttempt(
      this.#engine,
      request,
      link,
      this.stats,
      (outcome) => this.#onPeerOutcome(request, attempt, outcome),
      relayed,
      resume,
    );
    this.#step = attempt;
  }

  #onPeerOutcome(request: PeerLoadRequest, attempt: PeerAttempt, outcome: PeerAttemptOutcome): void {
    if (this.#finished || this.#step !== attempt) return;
    this.#step = null;
    const engine = this.#engine;
    if (outcome.kind === 'delivered') {
      const { data, timings, verified, vouched } = outcome;
      this.#succeed(request, data, reportPeerTransfer(timings, engine.httpPace.throughput));
      const durationMs = timings.endMs - timings.startMs;
      this.#loaded(request, {
        source: 'peer',
        data,
        durationMs,
        peerId: attempt.peerId,
        verified,
        peerVouched: vouched,
      });
    } else if (outcome.kind === 'busy') {
      // Its uplink is full: decide again, waits allowed (for it, woken when its back-off ends, or for
      // another peer); no failure, so this load may still decide again once after one.
      this.#chooseOrFallBack(request, 'start');
    } else if (outcome.kind !== 'fell-back') {
      this.#dropPeerSegment(request, attempt.peerId, outcome);
    } else {
      engine.peerFallback(outcome.error);
      // The peer did not have it, its relay failed or its link closed: another peer that has or relays
      // it may serve it, else HTTP at once (once per load; a peer too slow or too late leaves it to HTTP).
      if (outcome.resumeFrom === null && !this.#decidedAgain && outcome.error.code !== 'peer-timeout') {
        this.#decidedAgain = true;
        this.#chooseOrFallBack(request, 'failure');
      } else if (outcome.resumeFrom === null) this.#toHttp(request);
      else this.#resume(request, outcome.resumeFrom);
    }
  }

  // The rest of a segment a peer delivered in part: from another peer that holds it (once per
  // load), else with an HTTP Range request.
  #resume(request: PeerLoadRequest, resume: PeerResume): void {
    const engine = this.#engine;
    const link = this.#resumedFromPeer ? null : resumeHolder(engine, request, resume.cutPeerId);
    if (link !== null) {
      this.#resumedFromPeer = true;
      this.#loadFromPeer(request, link, false, resume);
      return;
    }
    engine.announceLoading(request.segment.swarmId, request.segment.sequenceNumber);
    const { partial, relay, cutPeerId } = resume;
    const step: Step = resumeOverRange(
      engine,
      request,
      this.#newHttpLoader(),
      partial,
      (outcome) => this.#onResumeOutcome(request, cutPeerId, step, outcome),
      relay,
    );
    this.#step = step;
  }

  #onResumeOutcome(request: PeerLoadRequest, peerId: string, resume: Step, outcome: RangeResumeOutcome): void {
    if (this.#step !== resume) return;
    this.#step = null;
    const engine = this.#engine;
    if (outcome.kind === 'range-ignored') {
      // What the origin sent still counts, then the whole segment.
      engine.httpBytesLoaded(outcome.receivedBytes);
      this.#http?.destroy();
      this.#loadHttp(request);
    } else if (outcome.kind === 'sent-whole') {
      // The origin sent it all: an HTTP load of the segment, the peer's bytes dropped.
      this.#finished = true;
      const { data, durationMs, stats, networkDetails } = outcome;
      this.#loaded(request, { source: 'http', data, durationMs, peerId: null });
      this.#deliver(request, data, stats, networkDetails);
    } else if (outcome.kind !== 'resumed') {
      engine.httpBytesLoaded(outcome.restBytes);
      if (outcome.kind === 'unverifiable' && outcome.relayFault)
        engine.strikePeer(request.segment.swarmId, peerId, 'bad-relay');
      this.#dropPeerSegment(request, peerId, outcome);
    } else {
      this.#finished = true;
      const { data, peerBytes, peerVouched, durationMs, stats, networkDetails, verified } = outcome;
      // ABR sees the HTTP transfer of the rest: its own timing and byte count. The segment's
      // first bytes came from `peerId`: it answers for them until verified or appended (if it vouched for them).
      this.#loaded(request, { source: 'http', data, durationMs, peerId, verified, peerBytes, peerVouched });
      this.#deliver(request, data, stats, networkDetails);
    }
  }

  // A peer's segment failed a check, or nothing could vouch for it: dropped, the whole over HTTP.
  #dropPeerSegment(request: PeerLoadRequest, peerId: string, verdict: DroppedSegment): void {
    reportDropped(this.#engine, request.segment, peerId, verdict);
    this.#toHttp(request);
  }

  // The segment comes over HTTP: peers are told we are fetching it, so they wait for us.
  #toHttp(request: PeerLoadRequest): void {
    this.#engine.announceLoading(request.segment.swarmId, request.segment.sequenceNumber);
    this.#loadHttp(request);
  }

  // An HTTP loader: the factory's, else hls.js's own default loader.
  readonly #originLoader = (): Loader<FragmentLoaderContext> =>
    this.#httpLoader?.(this.#hlsConfig) ??
    (new this.#hlsConfig.loader(this.#hlsConfig) as Loader<FragmentLoaderContext>);

  // The load's HTTP loader; it fills our stats object, which hls.js holds (frag.stats).
  #newHttpLoader(): Loader<FragmentLoaderContext> {
    resetStats(this.stats);
    const http = this.#originLoader();
    http.stats = this.stats;
    this.#http = http;
    return http;
  }

  #loadHttp(request: LoadRequest): void {
    const http = this.#newHttpLoader();
    this.#httpChunks = loadOverHttp(this.#engine, request, http, () => {
      this.#finished = true;
    });
  }

  // A segment from the cache or a peer: fill the stats by transfer-timing's rule, then tell hls.js.
  #succeed(request: LoadRequest, data: ArrayBuffer, { startMs, firstMs, endMs }: ReportedTimings): void {
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
      if (this.#request === request) this.#deliver(request, data, stats, null);
    });
  }

  // hls.js in streaming mode (progressive) takes a fragment's bytes through onProgress only.
  #deliver(request: LoadRequest, data: ArrayBuffer, stats: LoaderStats, networkDetails: NullableNetworkDetails): void {
    const { context, callbacks } = request;
    callbacks.onProgress?.(stats, context, data, networkDetails);
    callbacks.onSuccess({ url: context.url, data }, stats, context, networkDetails);
  }

  // Tell the engine of a segment handed to hls.js.
  #loaded(request: PeerLoadRequest, load: SegmentDelivery): void {
    const { start, duration } = request.context.frag;
    this.#engine.segmentLoaded({ ...request.segment, startSeconds: start, durationSeconds: duration, ...load });
  }

  // An HTTP load stopped midway (seek, switch, teardown) still cost the origin what arrived:
  // count it, so the library's HTTP bytes match what the origin served.
  #countUnfinishedHttp(): void {
    if (!this.#finished && this.#http !== null && this.stats.loaded > 0)
      this.#engine.httpBytesLoaded(this.stats.loaded);
  }

  #stopStep(): void {
    this.#step?.stop();
    this.#step = null;
  }
}

/** Build the `fLoader` class hls.js instantiates per fragment, bound to one engine (and HTTP loader factory). */
export function createFragmentLoaderClass(
  engine: Engine,
  httpLoader: HttpLoaderFactory | null = null,
  spotCheck: SpotCheckStarter | null = null,
): FragmentLoaderConstructor {
  return class PeerCDNFragmentLoader extends FragmentLoader {
    constructor(hlsConfig: HlsConfig) {
      super(engine, hlsConfig, httpLoader, spotCheck);
    }
  };
}
