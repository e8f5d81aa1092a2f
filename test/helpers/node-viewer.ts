// Library viewers in Node over real WebRTC (node-datachannel on 127.0.0.1) through the real
// tracker: `startNodeViewer` drives an Engine and its fragment loader with a simulated playhead;
// `startPlayerViewer` a whole PeerCDN attached to a fake player whose hls.js events the test emits.
// Both load segment n of the fixture's 180p rendition as hls.js would.
import type {
  FragmentLoaderConstructor,
  FragmentLoaderContext,
  HlsConfig,
  Loader,
  LoaderConfiguration,
  LoaderStats,
} from 'hls.js';
import { resolveConfig, type PeerCDNConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { createFragmentLoaderClass } from '../../lib/hls/fragment-loader.ts';
import { swarmIdOfPlaylist } from '../../lib/hls/fragment-swarm.ts';
import { spotCheck } from '../../lib/hls/spot-check.ts';
import { PeerCDN } from '../../lib/peercdn.ts';
import { createBittorrentTrackerClientFactory } from '../../lib/swarm/bittorrent-tracker-client.ts';
import type { TrackerClientFactory } from '../../lib/swarm/tracker-client.ts';
import { fakePlayer, type FakePlayer } from './fake-player.ts';
import { NodeHttpLoader } from './node-http-loader.ts';
import { LOOPBACK_CONFIG } from './node-webrtc.ts';

const base = createBittorrentTrackerClientFactory();
let socketCount = 0;
/**
 * Tracker clients on Node WebRTC bound to 127.0.0.1. bittorrent-tracker's client shares one socket
 * per tracker URL within a process; a distinct URL per client keeps each on its own socket, as
 * separate browsers would be.
 */
export const loopbackTrackerClients: TrackerClientFactory = (options) =>
  base({
    ...options,
    // The path goes before a query (`?region=` from the `region` setting).
    announceUrls: options.announceUrls.map((url) => url.replace(/(\?|$)/, `/client-${++socketCount}$1`)),
    rtcConfig: { ...options.rtcConfig, ...LOOPBACK_CONFIG },
  });

export const LOADER_CONFIG = {
  loadPolicy: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 30_000, timeoutRetry: null, errorRetry: null },
} as LoaderConfiguration;

/** A stand-in for the media element hls.js plays into: the playhead a test moves. */
export interface SimulatedMedia {
  readyState: number;
  currentTime: number;
  playbackRate: number;
}

/** An engine with its fragment loader in Node, loading the fixture's 180p rendition (2-s segments). */
export interface NodeViewer {
  readonly engine: Engine;
  readonly swarmId: string;
  readonly media: SimulatedMedia;
  load(sequenceNumber: number): Promise<LoadedSegment>;
  destroy(): void;
}

export const SEGMENT_SECONDS = 2;

/** The HTTP loader a viewer's hls.js config names (`config.loader`). */
export type HttpLoaderClass = new (hlsConfig: HlsConfig) => Loader<FragmentLoaderContext>;

export function segmentUrl(originUrl: string, sequenceNumber: number): string {
  return `${originUrl}/vod/180p/seg_${String(sequenceNumber).padStart(3, '0')}.ts`;
}

export function startNodeViewer(
  trackerUrl: string,
  originUrl: string,
  config: Partial<PeerCDNConfig> = {},
  httpLoader: HttpLoaderClass = NodeHttpLoader,
  clock: { offsetMs: number } = { offsetMs: 0 },
  trackerClients: TrackerClientFactory = loopbackTrackerClients,
): NodeViewer {
  // The engine's clock (peer records, claims, rate limits) runs `clock.offsetMs` ahead of real
  // time: a test skips a back-off by moving it, while transfers and timeouts stay real.
  const engine = new Engine(resolveConfig({ trackerUrls: [trackerUrl], iceServers: [], ...config }), {
    createTrackerClient: trackerClients,
    random: Math.random,
    nowMs: () => performance.now() + clock.offsetMs,
  });
  const media: SimulatedMedia = { readyState: 4, currentTime: 0, playbackRate: 1 };
  engine.playback.follow({ media: media as unknown as HTMLMediaElement });
  const playlistUrl = `${originUrl}/vod/180p/index.m3u8`;
  const swarmId = swarmIdOfPlaylist(playlistUrl, 'main', null);
  engine.joinSwarm(swarmId);
  const Loader = createFragmentLoaderClass(engine);
  const load = (sequenceNumber: number): Promise<LoadedSegment> =>
    loadFragment(Loader, originUrl, sequenceNumber, httpLoader);
  return { engine, swarmId, media, load, destroy: () => engine.destroy() };
}

export interface LoadedSegment {
  readonly data: ArrayBuffer;
  readonly stats: LoaderStats;
}

/** The fragment hls.js describes for segment n of the 180p rendition (for FRAG_BUFFERED / ERROR events). */
export function fragment(originUrl: string, sequenceNumber: number) {
  return {
    sn: sequenceNumber,
    level: 0,
    type: 'main',
    baseurl: `${originUrl}/vod/180p/index.m3u8`,
    start: sequenceNumber * SEGMENT_SECONDS,
    duration: SEGMENT_SECONDS,
  };
}

/** Load segment n through a new instance of the fragment loader class, as hls.js does. */
export function loadFragment(
  Loader: FragmentLoaderConstructor,
  originUrl: string,
  sequenceNumber: number,
  httpLoader: HttpLoaderClass = NodeHttpLoader,
): Promise<LoadedSegment> {
  return new Promise((resolve, reject) => {
    const loader = new Loader({ loader: httpLoader } as unknown as HlsConfig);
    const context = {
      type: 'media-fragment',
      url: segmentUrl(originUrl, sequenceNumber),
      responseType: 'arraybuffer',
      rangeStart: 0,
      rangeEnd: 0,
      part: null,
      frag: fragment(originUrl, sequenceNumber),
    } as unknown as FragmentLoaderContext;
    loader.load(context, LOADER_CONFIG, {
      onSuccess: (response, stats) => resolve({ data: response.data as ArrayBuffer, stats }),
      onError: (error) => reject(new Error(`load failed: ${error.code} ${error.text}`)),
      onTimeout: () => reject(new Error('load timed out')),
    });
  });
}

/** A whole PeerCDN attached to a fake player (its playhead in `media`, if any), loading the 180p rendition. */
export interface PlayerViewer {
  readonly peercdn: PeerCDN;
  readonly player: FakePlayer;
  readonly media: SimulatedMedia | null;
  /** The fragment hls.js would describe for segment n (for FRAG_BUFFERED / ERROR events). */
  fragment(sequenceNumber: number): ReturnType<typeof fragment>;
  load(sequenceNumber: number): Promise<LoadedSegment>;
  destroy(): void;
}

/**
 * A PeerCDN viewer of `${originUrl}/vod/180p/` on `trackerUrl`, as a page would set it up with
 * hls.js; without `media` the player has no media element (the playhead is unknown).
 */
export function startPlayerViewer(
  trackerUrl: string,
  originUrl: string,
  config: Partial<PeerCDNConfig> = {},
  media: SimulatedMedia | null = null,
  createTrackerClient: TrackerClientFactory = loopbackTrackerClients,
): PlayerViewer {
  const peercdn = new PeerCDN(
    { trackerUrls: [trackerUrl], iceServers: [], ...config },
    { createTrackerClient, ...(config.originSpotChecks === true ? { spotCheck } : {}) },
  );
  const player = fakePlayer(media as unknown as HTMLMediaElement | null, `${originUrl}/vod/180p/index.m3u8`);
  peercdn.attach(player);
  const Loader = peercdn.hlsConfig().fLoader;
  return {
    peercdn,
    player,
    media,
    fragment: (sequenceNumber) => fragment(originUrl, sequenceNumber),
    load: (sequenceNumber) => loadFragment(Loader, originUrl, sequenceNumber),
    destroy: () => peercdn.destroy(),
  };
}

/** Resolves once `engine` has `count` connected peers (event-driven, no polling). */
export function connectedPeers(engine: Engine, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (engine.stats().connectedPeers >= count) {
        engine.events.off('peer-connected', check);
        resolve();
      }
    };
    engine.events.on('peer-connected', check);
    check();
  });
}

/**
 * Resolves once `ready()` holds, re-checked on every availability change of the swarm (bounded).
 * The error names the call site (its stack) and the peers connected then.
 */
export function whenAvailability(viewer: NodeViewer, ready: () => boolean, timeoutMs = 20_000): Promise<void> {
  const calledAt = new Error('availability never reached the expected state');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      calledAt.message += ` (connected peers then: ${viewer.engine.stats().connectedPeers})`;
      reject(calledAt);
    }, timeoutMs);
    const check = (): void => {
      if (ready()) {
        clearTimeout(timer);
        resolve();
      } else viewer.engine.availability.onNextChange(viewer.swarmId, check);
    };
    check();
  });
}

/**
 * Resolve when `check()` holds, re-checked every 20 ms, at most `attempts` times. For benchmarks'
 * hostile runs only: tests wait on events (`waitFor` with `observedTrackerClients`).
 */
export async function until(check: () => boolean, what: string, attempts = 3000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting: ${what}`);
}
