import type { Events, FragmentLoaderConstructor, LevelLoadingData, PlaylistLoaderConstructor } from 'hls.js';
import { createBittorrentTrackerClientFactory } from './swarm/bittorrent-tracker-client.ts';
import { resolveConfig, type PeerCDNConfig } from './api/config.ts';
import { Engine } from './engine/engine.ts';
import type { OriginInfo, PeerCDNEvents, PeerCDNStats, PeerInfo } from './api/events.ts';
import { createFragmentLoaderClass } from './hls/fragment-loader.ts';
import { canFetchSegments, FetchFragmentLoader } from './hls/fetch-loader.ts';
import type { SpotCheckStarter } from './hls/spot-check.ts';
import type { OriginRouting, useOrigins } from './hls/origin-routing.ts';
import { swarmIdOfPlaylist } from './hls/fragment-swarm.ts';
import type { TrackerClientFactory } from './swarm/tracker-client.ts';
import type { BeaconReporter, BeaconTransport, startBeacons } from './engine/beacon-reporter.ts';
import { P2PError } from './api/errors.ts';

// hls.js's `Events.LEVEL_LOADING` by value: hls.js is only a type import here (a peer dependency
// that the bundles do not contain).
/* eslint-disable @typescript-eslint/no-unsafe-enum-assignment -- the enum's values, without importing it */
const LEVEL_LOADING = 'hlsLevelLoading' as Events.LEVEL_LOADING;
const FRAG_BUFFERED = 'hlsFragBuffered' as Events.FRAG_BUFFERED;
const ERROR = 'hlsError' as Events.ERROR;
const MANIFEST_LOADING = 'hlsManifestLoading' as Events.MANIFEST_LOADING;
/* eslint-enable @typescript-eslint/no-unsafe-enum-assignment */

/** What `attach()` is told when hls.js starts loading a rendition's playlist. */
export type LevelLoadingListener = (event: string, data: Pick<LevelLoadingData, 'url'>) => void;

/** What `attach()` is told when hls.js starts loading a new stream (`loadSource()`). */
export type ManifestLoadingListener = (event: string, data: { readonly url: string }) => void;

/** The fields of an hls.js fragment (`Fragment`) that name its segment. */
export interface PlayerFragment {
  /** Media sequence number, or `'initSegment'`. */
  readonly sn: number | 'initSegment';
  /** Playlist type (`'main'`, `'audio'`, `'subtitle'`). */
  readonly type: string;
  /** URL of the playlist the fragment is listed in. */
  readonly baseurl: string;
}

/** What `attach()` is told when hls.js appended a fragment (an unverified peer segment may be shared now). */
export type FragBufferedListener = (event: string, data: { readonly frag: PlayerFragment }) => void;
/** What `attach()` reads of hls.js's errors: parse and append errors blame an unverified peer segment's sender. */
export type PlayerErrorListener = (
  event: string,
  data: { readonly details: string; readonly frag?: PlayerFragment | undefined },
) => void;

/** The part of an hls.js instance that `attach()` uses: an `Hls` from hls.js fits as it is. */
export interface AttachableHls {
  /** The media element hls.js plays into (`hls.media`); null before `attachMedia()`. */
  readonly media: HTMLMediaElement | null;
  /** The stream's URL (`hls.url`, given to `loadSource()`): renditions are named relative to it. */
  readonly url?: string | null;
  /** Subscribe to `Hls.Events.LEVEL_LOADING`: the swarm is joined when a rendition's playlist loads. */
  on?(event: Events.LEVEL_LOADING, listener: LevelLoadingListener): void;
  /** Subscribe to `Hls.Events.FRAG_BUFFERED`: a segment hls.js appended may be shared. */
  on?(event: Events.FRAG_BUFFERED, listener: FragBufferedListener): void;
  /** Subscribe to `Hls.Events.ERROR`: a parse or append error blames the segment's sender. */
  on?(event: Events.ERROR, listener: PlayerErrorListener): void;
  /** Subscribe to `Hls.Events.MANIFEST_LOADING`: a new stream's loading leaves the old stream's swarms. */
  on?(event: Events.MANIFEST_LOADING, listener: ManifestLoadingListener): void;
  /** Unsubscribe from `Hls.Events.LEVEL_LOADING`. */
  off?(event: Events.LEVEL_LOADING, listener: LevelLoadingListener): void;
  /** Unsubscribe from `Hls.Events.FRAG_BUFFERED`. */
  off?(event: Events.FRAG_BUFFERED, listener: FragBufferedListener): void;
  /** Unsubscribe from `Hls.Events.ERROR`. */
  off?(event: Events.ERROR, listener: PlayerErrorListener): void;
  /** Unsubscribe from `Hls.Events.MANIFEST_LOADING`. */
  off?(event: Events.MANIFEST_LOADING, listener: ManifestLoadingListener): void;
  /**
   * hls.js's config (`hls.config`): with hls.js's default loader, and no `xhrSetup` or also a
   * `fetchSetup`, segments stream over fetch (so peers get them while they arrive).
   */
  readonly config?: AttachableHlsConfig;
}

/** What `attach()` reads of hls.js's config to choose how segments come over HTTP. */
export interface AttachableHlsConfig {
  /** hls.js's loader class (`config.loader`): segments go over fetch only with hls.js's default. */
  readonly loader?: unknown;
  /** A site's hook on each XHR: set alone, it keeps segments on XHR. */
  readonly xhrSetup?: unknown;
  /** A site's hook on each fetch request: honoured for segments over fetch. */
  readonly fetchSetup?: unknown;
}

/** The part of hls.js's config that peercdn provides: spread it into `new Hls({...})`. */
export interface PeerCDNHlsConfig {
  /** hls.js's fragment loader slot: peers first, then hls.js's own loader over HTTP. */
  readonly fLoader: FragmentLoaderConstructor;
  /** hls.js's playlist loader slot, only with `origins`: playlists over the configured origins. */
  readonly pLoader?: PlaylistLoaderConstructor;
}

// hls.js error details (ErrorDetails) meaning it could not parse or append a fragment's bytes.
const PLAYER_SEGMENT_ERRORS = new Set(['fragParsingError', 'bufferAppendError', 'fragDecryptError']);

/** Options that are not settings: injected implementations (a WebRTC stack for Node, randomness). */
export interface PeerCDNDependencies {
  /** WebRTC implementation for Node (e.g. node-datachannel's polyfill); browsers need none. */
  readonly wrtc?: unknown;
  /**
   * Tracker client for tests (a fake, or one over a Node WebRTC stack).
   * @internal
   */
  readonly createTrackerClient?: TrackerClientFactory;
  /** Randomness in [0, 1) (the peer id); default Math.random. */
  readonly random?: () => number;
  /**
   * Fleet telemetry: pass `startBeacons` (exported by peercdn) to send beacons to `beaconUrl`.
   * Bundles that do not import it carry none of its code.
   */
  readonly startBeacons?: typeof startBeacons;
  /** How beacons are sent (default: navigator.sendBeacon, else fetch keepalive). */
  readonly sendBeacon?: BeaconTransport;
  /**
   * Multi-origin HTTP: pass `useOrigins` (exported by peercdn) to use the `origins` setting.
   * Bundles that do not import it carry none of its code.
   */
  readonly useOrigins?: typeof useOrigins;
  /**
   * Origin spot checks: pass `spotCheck` (exported by peercdn) to use the `originSpotChecks` setting.
   * Bundles that do not import it carry none of its code.
   */
  readonly spotCheck?: SpotCheckStarter;
}

/**
 * Peer-assisted segment delivery for hls.js: segments come from other viewers over WebRTC
 * when they have them, and from the HTTP origin otherwise.
 *
 * @example
 * const peercdn = new PeerCDN({ trackerUrls: ['wss://tracker.example.com'] });
 * const hls = new Hls({ ...peercdn.hlsConfig() });
 * peercdn.attach(hls);
 * peercdn.on('segment-loaded', (event) => console.log(event.source, event.byteLength));
 * // later: hls.destroy(); peercdn.destroy();
 */
export class PeerCDN {
  /** The resolved settings (defaults merged with what was passed). */
  readonly config: PeerCDNConfig;
  readonly #engine: Engine;
  readonly #fragmentLoader: FragmentLoaderConstructor;
  readonly #beacons: BeaconReporter | null;
  readonly #origins: OriginRouting | null;
  #detach: (() => void) | null = null;
  // Segments over fetch instead of hls.js's XHR loader (decided at `attach`).
  #fetchSegments = false;

  constructor(config: Partial<PeerCDNConfig> = {}, dependencies: PeerCDNDependencies = {}) {
    this.config = resolveConfig(config);
    this.#engine = new Engine(this.config, {
      createTrackerClient: dependencies.createTrackerClient ?? createBittorrentTrackerClientFactory(dependencies.wrtc),
      random: dependencies.random ?? Math.random,
      nowMs: () => performance.now(),
      webRtcAvailable:
        dependencies.wrtc !== undefined ||
        dependencies.createTrackerClient !== undefined ||
        typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function',
    });
    if (this.config.origins.length > 0 && dependencies.useOrigins === undefined) {
      throw new P2PError(
        'config-invalid',
        'peercdn config: "origins" needs useOrigins (script tag: peercdn.full.umd.js)',
      );
    }
    this.#origins = this.config.origins.length > 0 ? (dependencies.useOrigins?.(this.#engine) ?? null) : null;
    if (this.config.originSpotChecks && dependencies.spotCheck === undefined) {
      throw new P2PError(
        'config-invalid',
        'peercdn config: "originSpotChecks" needs spotCheck (script tag: peercdn.full.umd.js)',
      );
    }
    this.#fragmentLoader = createFragmentLoaderClass(
      this.#engine,
      this.#origins?.fragmentHttpLoader ??
        ((hlsConfig) => (this.#fetchSegments ? new FetchFragmentLoader(hlsConfig) : null)),
      this.config.originSpotChecks ? (dependencies.spotCheck ?? null) : null,
    );
    if (this.config.beaconUrl !== null && dependencies.startBeacons === undefined) {
      throw new P2PError(
        'config-invalid',
        'peercdn config: "beaconUrl" needs startBeacons (script tag: peercdn.full.umd.js)',
      );
    }
    this.#beacons =
      dependencies.startBeacons?.(this.config, this.#engine.events, () => this.#engine.stats(), {
        random: dependencies.random ?? Math.random,
        nowMs: () => performance.now(),
        transport: dependencies.sendBeacon,
      }) ?? null;
  }

  /** The hls.js config to spread into `new Hls({...})`: a fragment loader that uses peers. */
  hlsConfig(): PeerCDNHlsConfig {
    const origins = this.#origins;
    return origins === null
      ? { fLoader: this.#fragmentLoader }
      : { fLoader: this.#fragmentLoader, pLoader: origins.playlistLoader };
  }

  /**
   * Let peercdn follow playback of this hls.js instance (it reads `hls.media`), so it never asks
   * the origin for segments far ahead of the playhead: those come from peers or wait until near.
   */
  attach(hls: AttachableHls): this {
    this.#detach?.();
    this.#engine.playback.follow(hls);
    this.#fetchSegments = canFetchSegments(hls);
    this.#beacons?.watch(hls);
    // Join a rendition's swarm as soon as hls.js asks for its playlist, so peers are connected
    // by the time the first segments are wanted.
    const engine = this.#engine;
    const onLevelLoading: LevelLoadingListener = (_event, data) => {
      engine.joinSwarm(
        swarmIdOfPlaylist(data.url, 'main', this.config.swarmId, engine.originBaseUrls, engine.playback.streamUrl),
      );
      engine.segmentChecks.prefetch(data.url);
      this.#beacons?.watch(hls); // the media element is usually attached by now
    };
    const segmentOf = (frag: PlayerFragment) =>
      typeof frag.sn === 'number'
        ? {
            swarmId: swarmIdOfPlaylist(
              frag.baseurl,
              frag.type,
              this.config.swarmId,
              engine.originBaseUrls,
              engine.playback.streamUrl,
            ),
            sn: frag.sn,
          }
        : null;
    const onFragBuffered: FragBufferedListener = (_event, data) => {
      const segment = segmentOf(data.frag);
      if (segment !== null) engine.segmentBuffered(segment.swarmId, segment.sn);
    };
    // hls.js's parse (transmux/demux) and append errors of one fragment.
    const onError: PlayerErrorListener = (_event, data) => {
      if (!PLAYER_SEGMENT_ERRORS.has(data.details) || data.frag === undefined) return;
      const segment = segmentOf(data.frag);
      if (segment !== null) engine.segmentFailedInPlayer(segment.swarmId, segment.sn, data.details);
    };
    // A throw in the peer path (a broken runtime) must never reach hls.js: P2P goes off instead.
    const guard =
      <D>(handler: (event: string, data: D) => void) =>
      (event: string, data: D): void => {
        try {
          handler(event, data);
        } catch (error) {
          engine.disableP2P(error);
        }
      };
    const levelLoading = guard(onLevelLoading);
    const fragBuffered = guard(onFragBuffered);
    const error = guard(onError);
    // A new stream on the same player (a channel change): the old stream's swarms close (their
    // peers and tracker sockets); the new one's are joined as its playlists load.
    const manifestLoading = guard(() => engine.leaveSwarms());
    hls.on?.(LEVEL_LOADING, levelLoading);
    hls.on?.(FRAG_BUFFERED, fragBuffered);
    hls.on?.(ERROR, error);
    hls.on?.(MANIFEST_LOADING, manifestLoading);
    this.#detach = () => {
      hls.off?.(LEVEL_LOADING, levelLoading);
      hls.off?.(FRAG_BUFFERED, fragBuffered);
      hls.off?.(ERROR, error);
      hls.off?.(MANIFEST_LOADING, manifestLoading);
    };
    return this;
  }

  /** This viewer's peer id in every swarm. */
  get peerId(): string {
    return this.#engine.peerId;
  }

  /** A snapshot of the byte and segment counters. */
  stats(): PeerCDNStats {
    return this.#engine.stats();
  }

  /** The connected peers of every swarm and what they announced. */
  peers(): PeerInfo[] {
    return this.#engine.peers();
  }

  /** The configured origins (`origins` setting): state, bytes, requests, errors, latency. */
  origins(): OriginInfo[] {
    return this.#origins?.info() ?? [];
  }

  /** Listen to an event (see {@link PeerCDNEvents}); a listener that throws is reported as `error`. */
  on<K extends keyof PeerCDNEvents>(event: K, listener: (payload: PeerCDNEvents[K]) => void): this {
    this.#engine.events.on(event, listener);
    return this;
  }

  /** Stop listening. */
  off<K extends keyof PeerCDNEvents>(event: K, listener: (payload: PeerCDNEvents[K]) => void): this {
    this.#engine.events.off(event, listener);
    return this;
  }

  /** Close every peer connection and tracker socket, drop the cache; loaders fall back to HTTP. */
  destroy(): void {
    this.#detach?.();
    this.#detach = null;
    this.#beacons?.destroy(); // the final beacon, while the engine's counters are still there
    this.#engine.destroy();
  }
}
