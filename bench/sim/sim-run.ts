// One simulator run: N viewers of a live or VOD stream on virtual time. Builds the clock (installed
// as the process's timers for the run), the network, the real tracker core, the origin, and a real
// engine per viewer session of the schedule; runs to the end; returns the raw counts.
import type { PeerCDNConfig } from '../../lib/api/config.ts';
import { seededRandom } from '../seeded-random.ts';
import { SimNetwork } from './sim-network.ts';
import { SimOrigin, segmentTemplate, segmentUrl } from './sim-origin.ts';
import { SEGMENT_SECONDS, type StreamModel } from './sim-player.ts';
import { schedule, UPLOAD_MEDIAN_BITRATES } from './sim-population.ts';
import { SimTracker } from './sim-tracker.ts';
import { SimViewer, type ViewerFigures } from './sim-viewer.ts';
import { realDrain, VirtualClock } from './virtual-clock.ts';

export interface SimOptions {
  readonly viewers: number;
  readonly seed: number;
  readonly mode: 'live' | 'vod';
  readonly minutes: number;
  /** Share of viewer pairs that cannot connect (0–1). */
  readonly unreachableShare: number;
  /** Share of the audience replaced per minute (0–1). */
  readonly churnPerMinute: number;
  /** The initial N join within this many seconds (a flash crowd). */
  readonly joinSeconds: number;
  readonly bitrateKbps: number;
  /** Live: the player starts this many segments behind the newest (hls.js liveSyncDurationCount). */
  readonly liveSyncSegments: number;
  /** Every segment's duration in seconds. */
  readonly segmentSeconds: number;
  /** Median upload capacity of the drawn links, in bitrates. */
  readonly uploadMedianBitrates: number;
  /** What-if: re-announce after this many seconds while peer slots are free (null: the tracker's interval). */
  readonly refillSeconds: number | null;
  /** 'internet' draws each viewer's link; 'loopback' models the browser bench's one machine. */
  readonly network: 'internet' | 'loopback';
  /**
   * How segments come over HTTP: 'fetch' streams them as they arrive (peercdn's fetch loader on
   * hls.js's defaults, or hls.js's `progressive: true`); 'xhr' hands each over whole at the end
   * (hls.js's XHR loader, kept where a site set `xhrSetup` alone or its own loader).
   */
  readonly httpLoader: 'xhr' | 'fetch';
  /** Library settings for every viewer (beyond the simulator's scaled cache size). */
  readonly config: Partial<PeerCDNConfig>;
  /** Names the library build in the results (e.g. `previous defaults`); '' for the current one. */
  readonly tag: string;
}

export const DEFAULT_SIM_OPTIONS: SimOptions = {
  viewers: 8,
  seed: 1,
  mode: 'live',
  minutes: 5,
  unreachableShare: 0.2,
  churnPerMinute: 0.1,
  joinSeconds: 30,
  bitrateKbps: 1000,
  liveSyncSegments: 3,
  segmentSeconds: SEGMENT_SECONDS,
  uploadMedianBitrates: UPLOAD_MEDIAN_BITRATES,
  refillSeconds: null,
  network: 'internet',
  httpLoader: 'fetch',
  config: {},
  tag: '',
};

/** What a run counted, before any figure is derived (sim-figures). */
export interface SimRawResult {
  readonly options: SimOptions;
  readonly segmentBytes: number;
  readonly byteScale: number;
  readonly viewers: ViewerFigures[];
  /** Origin bytes per sequence number (real bytes; × byteScale for modelled). */
  readonly originBytesBySegment: [number, number][];
  /** Viewers that buffered each sequence number. */
  readonly demandBySegment: [number, number][];
  readonly trackerFrames: number;
  /** Connected peers of every viewer present, sampled at the end of each simulated minute. */
  readonly connectedPeersByMinute: number[][];
  readonly wallMs: number;
  /** CPU time of this process during the run (user + system). */
  readonly cpuMs: number;
  readonly events: number;
}

// TS packets per simulated segment: small real buffers stand for full-size segments (byteScale).
const SEGMENT_PACKETS = 21;
// A live stream has run this long when the simulation starts.
const LIVE_HEAD_START_MS = 60_000;
// A browser's default cache, in modelled bytes: the simulated cache holds as many segments.
const REAL_CACHE_BYTES = 64 * 1024 * 1024;
const MIN_CACHE_BYTES = 1024 * 1024;
const EPOCH_MS = Date.UTC(2026, 0, 1);

export async function runSimulation(
  options: SimOptions,
  onProgress: (virtualMs: number, viewers: number) => void = () => undefined,
): Promise<SimRawResult> {
  const startedAt = process.hrtime.bigint();
  const cpuAtStart = process.cpuUsage();
  const drain = realDrain();
  const clock = new VirtualClock();
  clock.install(EPOCH_MS);
  // The library builds an Error for every fallback and cancelled download; nobody reads their
  // stacks here, and capturing them was a visible share of a run.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const viewers = new Map<number, SimViewer>();
  const figures: ViewerFigures[] = [];
  let tracker: SimTracker | null = null;
  try {
    const random = seededRandom(options.seed);
    const { segmentSeconds } = options;
    const segment = segmentTemplate(SEGMENT_PACKETS, segmentSeconds);
    const bitrateBytesPerMs = options.bitrateKbps / 8;
    const byteScale = (bitrateBytesPerMs * segmentSeconds * 1000) / segment.byteLength;
    const network = new SimNetwork({ seed: options.seed, unreachableShare: options.unreachableShare });
    tracker = new SimTracker({ clock, network, byteScale }, seededRandom(options.seed ^ 0x5eed), options.refillSeconds);
    const origin = new SimOrigin({ network, byteScale, segment, streaming: options.httpLoader === 'fetch' });
    const durationMs = options.minutes * 60_000;
    const demand = new Map<number, number>();
    const stream: StreamModel = {
      live: options.mode === 'live',
      segmentSeconds,
      liveSyncSegments: options.liveSyncSegments,
      segmentCount: Math.ceil(durationMs / (segmentSeconds * 1000)),
      newestSegment: (nowMs) => Math.floor((nowMs + LIVE_HEAD_START_MS) / (segmentSeconds * 1000)) - 1,
      playlistUrl: 'https://origin.sim/stream/index.m3u8',
      segmentUrl,
    };
    const config: Partial<PeerCDNConfig> = {
      cacheMaxBytes: Math.max(MIN_CACHE_BYTES, Math.round(REAL_CACHE_BYTES / byteScale)),
      ...options.config,
    };
    const sessions = schedule(
      {
        viewers: options.viewers,
        durationMs,
        bitrateBytesPerMs,
        joinWindowMs: options.joinSeconds * 1000,
        churnPerMinute: options.churnPerMinute,
        network: options.network,
        uploadMedianBitrates: options.uploadMedianBitrates,
      },
      random,
    );
    sessions.forEach((session, node) => {
      network.addNode(node, session.link);
      clock.at(session.joinAtMs, () => {
        const viewer = new SimViewer({
          node,
          seed: (options.seed * 1_000_003 + node) >>> 0,
          stream,
          origin,
          tracker: tracker as SimTracker,
          config,
        });
        viewer.engine.events.on('segment-loaded', (event) =>
          demand.set(event.sequenceNumber, (demand.get(event.sequenceNumber) ?? 0) + 1),
        );
        if (process.env['SIM_DEBUG'] !== undefined)
          viewer.engine.events.on('error', (error) =>
            console.error(`${clock.nowMs.toFixed(0)} v${node} ${error.code} ${error.message}`),
          );
        viewers.set(node, viewer);
      });
      if (session.leaveAtMs < durationMs)
        clock.at(session.leaveAtMs, () => {
          const viewer = viewers.get(node);
          viewers.delete(node);
          if (viewer !== undefined) figures.push(viewer.leave());
        });
    });
    const connectedPeersByMinute: number[][] = [];
    for (let minute = 1; minute <= options.minutes; minute++)
      clock.at(minute * 60_000, () => {
        connectedPeersByMinute.push([...viewers.values()].map((viewer) => viewer.engine.stats().connectedPeers));
        onProgress(clock.nowMs, viewers.size);
      });
    await clock.run(durationMs, drain);
    for (const viewer of viewers.values()) figures.push(viewer.leave());
    viewers.clear();
    await drain();
    let trackerFrames = 0;
    for (const count of tracker.framesByNode.values()) trackerFrames += count;
    return {
      options,
      segmentBytes: segment.byteLength,
      byteScale,
      viewers: figures.sort((a, b) => a.node - b.node),
      originBytesBySegment: [...origin.bytesBySegment].sort((a, b) => a[0] - b[0]),
      demandBySegment: [...demand].sort((a, b) => a[0] - b[0]),
      trackerFrames,
      connectedPeersByMinute,
      wallMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
      cpuMs: (process.cpuUsage(cpuAtStart).user + process.cpuUsage(cpuAtStart).system) / 1000,
      events: clock.eventsRun,
    };
  } finally {
    for (const viewer of viewers.values()) viewer.leave();
    tracker?.destroy();
    clock.uninstall();
    Error.stackTraceLimit = stackTraceLimit;
  }
}
