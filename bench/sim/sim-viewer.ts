// One simulated viewer: the library's real Engine and fragment loader (the same classes the
// browser bundle runs), wired as PeerCDN.attach wires them to hls.js — the playhead followed, the
// swarm joined when the playlist loads, FRAG_BUFFERED reported — to a modelled player, the
// modelled tracker client and the modelled origin. Only the clock and randomness are injected.
import { resolveConfig, type PeerCDNConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { createFragmentLoaderClass } from '../../lib/hls/fragment-loader.ts';
import { swarmIdOfPlaylist } from '../../lib/hls/fragment-swarm.ts';
import { seededRandom } from '../seeded-random.ts';
import type { SimOrigin } from './sim-origin.ts';
import { SimPlayer, type PlayerFigures, type StreamModel } from './sim-player.ts';
import type { SimTracker } from './sim-tracker.ts';

/** What a viewer reports when it leaves (or the run ends). */
export interface ViewerFigures extends PlayerFigures {
  readonly node: number;
  readonly joinedAtMs: number;
  leftAtMs: number;
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
  segmentsFromPeers: number;
  segmentsFromHttp: number;
  peerFallbacks: number;
}

export interface ViewerSetup {
  readonly node: number;
  readonly seed: number;
  readonly stream: StreamModel;
  readonly origin: SimOrigin;
  readonly tracker: SimTracker;
  readonly config: Partial<PeerCDNConfig>;
}

const NO_MANIFEST = Promise.resolve({ status: 404, body: new ArrayBuffer(0) });

export class SimViewer {
  readonly node: number;
  readonly engine: Engine;
  readonly player: SimPlayer;
  readonly #joinedAtMs: number;
  #destroyed = false;

  constructor(setup: ViewerSetup) {
    const { node, stream, origin, tracker } = setup;
    this.node = node;
    this.#joinedAtMs = performance.now();
    const random = seededRandom(setup.seed);
    this.engine = new Engine(resolveConfig({ trackerUrls: ['wss://tracker.sim'], iceServers: [], ...setup.config }), {
      createTrackerClient: tracker.clientsFor(node, random),
      random,
      nowMs: () => performance.now(),
      // The origin publishes no hash manifest: peer segments are checked by structure and
      // announced once the player buffered them (the library's default path without hashes).
      fetchBytes: () => NO_MANIFEST,
    });
    const swarmId = swarmIdOfPlaylist(stream.playlistUrl, 'main', null);
    this.player = new SimPlayer({
      stream,
      fragmentLoader: createFragmentLoaderClass(this.engine),
      httpLoader: origin.loaderClass(node),
      originRttMs: origin.options.network.link(node).originRttMs,
      onBuffered: (sequenceNumber) => this.engine.segmentBuffered(swarmId, sequenceNumber),
    });
    this.engine.playback.follow({ media: this.player as unknown as HTMLMediaElement });
    // attach(hls) joins the swarm when hls.js starts loading the playlist.
    this.engine.joinSwarm(swarmId);
  }

  /** Leave: the player stops and the engine closes its peers and tracker client. */
  leave(): ViewerFigures {
    const figures = this.figures();
    if (!this.#destroyed) {
      this.#destroyed = true;
      this.player.destroy();
      this.engine.destroy();
    }
    return { ...figures, ...this.player.figures };
  }

  figures(): ViewerFigures {
    const stats = this.engine.stats();
    return {
      ...this.player.figures,
      node: this.node,
      joinedAtMs: this.#joinedAtMs,
      leftAtMs: performance.now(),
      httpBytes: stats.httpBytes,
      p2pBytes: stats.p2pBytes,
      uploadedBytes: stats.uploadedBytes,
      segmentsFromPeers: stats.segmentsFromPeers,
      segmentsFromHttp: stats.segmentsFromHttp,
      peerFallbacks: stats.peerFallbacks,
    };
  }
}
