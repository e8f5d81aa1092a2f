import type { FragmentLoaderConstructor } from 'hls.js';
import { createBittorrentTrackerClientFactory } from './swarm/bittorrent-tracker-client.ts';
import { resolveConfig, type PeerCDNConfig } from './api/config.ts';
import { Engine } from './engine/engine.ts';
import type { Playhead, PlayerEvents, PlayerFragment } from './engine/playback.ts';
import type { PeerCDNEvents, PeerCDNStats, PeerInfo } from './api/events.ts';
import { createFragmentLoaderClass } from './hls/fragment-loader.ts';
import { swarmIdOfPlaylist } from './hls/fragment-swarm.ts';
import type { TrackerClientFactory } from './swarm/tracker-client.ts';

// hls.js error details (ErrorDetails) meaning it could not parse or append a fragment's bytes.
const PLAYER_SEGMENT_ERRORS = new Set(['fragParsingError', 'bufferAppendError', 'fragDecryptError']);

/** Options that are not settings: injected implementations (a WebRTC stack for Node, randomness). */
export interface PeerCDNDependencies {
  /** WebRTC implementation for Node (e.g. node-datachannel's polyfill); browsers need none. */
  readonly wrtc?: unknown;
  readonly createTrackerClient?: TrackerClientFactory;
  readonly random?: () => number;
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
  #detach: (() => void) | null = null;

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
    this.#fragmentLoader = createFragmentLoaderClass(this.#engine);
  }

  /** The hls.js config to spread into `new Hls({...})`: a fragment loader that uses peers. */
  hlsConfig(): { fLoader: FragmentLoaderConstructor } {
    return { fLoader: this.#fragmentLoader };
  }

  /**
   * Let peercdn follow playback of this hls.js instance (it reads `hls.media`), so it never asks
   * the origin for segments far ahead of the playhead: those come from peers or wait until near.
   */
  attach(hls: Playhead): this {
    this.#detach?.();
    this.#engine.playback.follow(hls);
    // Join a rendition's swarm as soon as hls.js asks for its playlist, so peers are connected
    // by the time the first segments are wanted.
    const engine = this.#engine;
    const onLevelLoading = (_event: string, data: PlayerEvents['hlsLevelLoading']): void => {
      engine.joinSwarm(swarmIdOfPlaylist(data.url, 'main', data.level, this.config.swarmId));
      engine.segmentChecks.prefetch(data.url);
    };
    const segmentOf = (frag: PlayerFragment) =>
      typeof frag.sn === 'number' ? { swarmId: swarmIdOfPlaylist(frag.baseurl, frag.type, frag.level, this.config.swarmId), sn: frag.sn } : null;
    const onFragBuffered = (_event: string, data: PlayerEvents['hlsFragBuffered']): void => {
      const segment = segmentOf(data.frag);
      if (segment !== null) engine.segmentBuffered(segment.swarmId, segment.sn);
    };
    // hls.js's parse (transmux/demux) and append errors of one fragment.
    const onError = (_event: string, data: PlayerEvents['hlsError']): void => {
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
    const listeners = { levelLoading: guard(onLevelLoading), fragBuffered: guard(onFragBuffered), error: guard(onError) };
    hls.on?.('hlsLevelLoading', listeners.levelLoading);
    hls.on?.('hlsFragBuffered', listeners.fragBuffered);
    hls.on?.('hlsError', listeners.error);
    this.#detach = () => {
      hls.off?.('hlsLevelLoading', listeners.levelLoading);
      hls.off?.('hlsFragBuffered', listeners.fragBuffered);
      hls.off?.('hlsError', listeners.error);
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

  on<K extends keyof PeerCDNEvents>(event: K, listener: (payload: PeerCDNEvents[K]) => void): this {
    this.#engine.events.on(event, listener);
    return this;
  }

  off<K extends keyof PeerCDNEvents>(event: K, listener: (payload: PeerCDNEvents[K]) => void): this {
    this.#engine.events.off(event, listener);
    return this;
  }

  /** Close every peer connection and tracker socket, drop the cache; loaders fall back to HTTP. */
  destroy(): void {
    this.#detach?.();
    this.#detach = null;
    this.#engine.destroy();
  }
}
