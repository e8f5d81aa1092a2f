// A modelled hls.js player for one simulated viewer: loads the playlists, starts at the live sync
// point (3 segments behind the newest, hls.js's liveSyncDurationCount) or at the start of a VOD,
// loads one fragment at a time through the library's fragment loader while less than
// maxBufferLength (30 s) is buffered, starts playing when the first segment is buffered, tells the
// engine FRAG_BUFFERED, and stalls when the playhead reaches the end of the buffer (a deadline miss).
import type { FragmentLoaderContext, HlsConfig, Loader, LoaderConfiguration } from 'hls.js';

/** The segment duration by default (the sample stream's). */
export const SEGMENT_SECONDS = 2;
// hls.js defaults: maxBufferLength, fragLoadPolicy's error retry delay.
const MAX_BUFFER_SECONDS = 30;
const ERROR_RETRY_MS = 1000;
const LOADER_CONFIG = {
  loadPolicy: {
    maxTimeToFirstByteMs: 10_000,
    maxLoadTimeMs: 120_000,
    timeoutRetry: { maxNumRetry: 4, retryDelayMs: 0, maxRetryDelayMs: 0 },
    errorRetry: { maxNumRetry: 6, retryDelayMs: 1000, maxRetryDelayMs: 8000 },
  },
  maxRetry: 0,
  timeout: 0,
  retryDelay: 0,
  maxRetryDelay: 0,
  // hls.js asks for media fragments in chunks of at least this size (MIN_CHUNK_SIZE).
  highWaterMark: 16 * 1024,
} as unknown as LoaderConfiguration;

/** The stream every viewer watches. */
export interface StreamModel {
  readonly live: boolean;
  /** Every segment's duration (EXTINF), and a live playlist's refresh period. */
  readonly segmentSeconds: number;
  /** Live: start this many segments behind the newest (hls.js liveSyncDurationCount, default 3). */
  readonly liveSyncSegments: number;
  /** VOD: number of segments. Live: ignored. */
  readonly segmentCount: number;
  /** Live: the newest segment published at a virtual time (-1 before the first). */
  readonly newestSegment: (nowMs: number) => number;
  readonly playlistUrl: string;
  readonly segmentUrl: (sequenceNumber: number) => string;
}

export interface PlayerOptions {
  readonly stream: StreamModel;
  readonly fragmentLoader: new (config: HlsConfig) => Loader<FragmentLoaderContext>;
  readonly httpLoader: unknown;
  readonly originRttMs: number;
  /** FRAG_BUFFERED for the engine. */
  readonly onBuffered: (sequenceNumber: number) => void;
}

/** Per-viewer playback figures. */
export interface PlayerFigures {
  startupMs: number | null;
  segmentsBuffered: number;
  stalls: number;
  stallMs: number;
  loadErrors: number;
}

/** The media element the engine reads (`Playback`): readyState, currentTime, playbackRate. */
export class SimPlayer {
  readonly figures: PlayerFigures = { startupMs: null, segmentsBuffered: 0, stalls: 0, stallMs: 0, loadErrors: 0 };
  readyState = 0;
  readonly playbackRate = 1;
  readonly #options: PlayerOptions;
  readonly #joinedAtMs: number;
  #startSn = 0;
  #nextSn = 0; // first sequence number not yet buffered
  #knownNewest = -1;
  #loader: Loader<FragmentLoaderContext> | null = null;
  #playFromMedia = 0;
  #playFromMs = 0;
  #stalledSinceMs: number | null = null;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #stallTimer: ReturnType<typeof setTimeout> | null = null;
  #destroyed = false;

  constructor(options: PlayerOptions) {
    this.#options = options;
    this.#joinedAtMs = performance.now();
    // Master and media playlist: two requests before the first segment.
    this.#later(2 * options.originRttMs + 10, () => this.#start());
  }

  get currentTime(): number {
    if (this.readyState === 0) return this.#startSn * this.#options.stream.segmentSeconds;
    if (this.#stalledSinceMs !== null) return this.#playFromMedia;
    const played = this.#playFromMedia + (performance.now() - this.#playFromMs) / 1000;
    return Math.min(played, this.#bufferEndSeconds);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#loader?.destroy();
    this.#loader = null;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (this.#stallTimer !== null) clearTimeout(this.#stallTimer);
    if (this.#stalledSinceMs !== null) this.figures.stallMs += performance.now() - this.#stalledSinceMs;
    this.#stalledSinceMs = null;
  }

  get #bufferEndSeconds(): number {
    return this.#nextSn * this.#options.stream.segmentSeconds;
  }

  #start(): void {
    const { stream } = this.#options;
    if (stream.live) {
      this.#knownNewest = stream.newestSegment(performance.now());
      this.#startSn = Math.max(0, this.#knownNewest - (stream.liveSyncSegments - 1));
      // hls.js reloads a live playlist every target duration.
      const refresh = (): void => {
        this.#knownNewest = stream.newestSegment(performance.now());
        this.#tryLoad();
        this.#later(this.#options.stream.segmentSeconds * 1000, refresh);
      };
      this.#later(this.#options.stream.segmentSeconds * 1000, refresh);
    } else {
      this.#knownNewest = stream.segmentCount - 1;
    }
    this.#nextSn = this.#startSn;
    this.#tryLoad();
  }

  #tryLoad(): void {
    if (this.#destroyed || this.#loader !== null || this.#nextSn > this.#knownNewest) return;
    const aheadSeconds = this.#bufferEndSeconds - this.currentTime;
    if (this.readyState !== 0 && aheadSeconds >= MAX_BUFFER_SECONDS) {
      this.#later((aheadSeconds - MAX_BUFFER_SECONDS) * 1000 + 1, () => this.#tryLoad());
      return;
    }
    const sn = this.#nextSn;
    const { stream } = this.#options;
    const Loader = this.#options.fragmentLoader;
    const loader = new Loader({ loader: this.#options.httpLoader } as unknown as HlsConfig);
    this.#loader = loader;
    const context = {
      type: 'media-fragment',
      url: stream.segmentUrl(sn),
      responseType: 'arraybuffer',
      rangeStart: 0,
      rangeEnd: 0,
      part: null,
      frag: {
        sn,
        level: 0,
        type: 'main',
        baseurl: stream.playlistUrl,
        start: sn * this.#options.stream.segmentSeconds,
        duration: this.#options.stream.segmentSeconds,
      },
    } as unknown as FragmentLoaderContext;
    const retry = (): void => {
      if (this.#loader !== loader) return;
      this.figures.loadErrors += 1;
      loader.destroy();
      this.#loader = null;
      this.#later(ERROR_RETRY_MS, () => this.#tryLoad());
    };
    loader.load(context, LOADER_CONFIG, {
      onSuccess: () => {
        if (this.#loader !== loader) return;
        loader.destroy();
        this.#loader = null;
        this.#buffered(sn);
      },
      onError: retry,
      onTimeout: retry,
    });
  }

  #buffered(sn: number): void {
    const now = performance.now();
    const wasAtEnd = this.#stalledSinceMs !== null;
    if (this.readyState === 0) {
      // Playback starts with the first buffered segment.
      this.readyState = 4;
      this.#playFromMedia = sn * this.#options.stream.segmentSeconds;
      this.#playFromMs = now;
      this.figures.startupMs = now - this.#joinedAtMs;
    } else if (wasAtEnd) {
      this.figures.stallMs += now - (this.#stalledSinceMs ?? now);
      this.#stalledSinceMs = null;
      this.#playFromMs = now;
    }
    this.#nextSn = sn + 1;
    this.figures.segmentsBuffered += 1;
    this.#options.onBuffered(sn);
    this.#watchForStall();
    this.#tryLoad();
  }

  // The playhead reaches the end of the buffer at a known time: check for a stall then.
  #watchForStall(): void {
    if (this.#stallTimer !== null) clearTimeout(this.#stallTimer);
    const endsVod = !this.#options.stream.live && this.#nextSn >= this.#options.stream.segmentCount;
    if (endsVod) return;
    const untilEndMs = (this.#bufferEndSeconds - this.currentTime) * 1000;
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = null;
      if (this.#destroyed || this.#stalledSinceMs !== null) return;
      this.#playFromMedia = this.#bufferEndSeconds;
      this.#stalledSinceMs = performance.now();
      this.figures.stalls += 1;
      if (process.env['SIM_DEBUG'] !== undefined)
        console.error(
          `${performance.now().toFixed(0)} stall at segment ${this.#nextSn} (loading: ${this.#loader !== null})`,
        );
    }, untilEndMs);
  }

  #later(delayMs: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#destroyed) action();
    }, delayMs);
    this.#timers.add(timer);
  }
}
