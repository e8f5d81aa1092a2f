// A viewer's fleet-telemetry beacons: what they say (byte deltas by source, startup and stalls
// from the media element, fallbacks, integrity failures since the previous beacon) and when they
// go out (every `beaconIntervalSeconds`, when the page is hidden, a final one on page hide or
// destroy()), through navigator.sendBeacon, else fetch keepalive. Kept in one small class: every
// byte here is in the script-tag bundle.
import type { PeerCDNConfig } from '../api/config.ts';
import type { PeerCDNEvents, PeerCDNStats } from '../api/events.ts';
import type { TypedEmitter } from '../api/typed-emitter.ts';
import { BEACON_VERSION, MAX_BEACON_HEIGHT, MAX_BEACON_STALLS, encodeBeacon } from '../shared/beacon.ts';

/** What beacons read from hls.js: the media element (startup, stalls) and the rendition playing. */
export interface BeaconPlayhead {
  /** The media element hls.js plays into; null before `attachMedia()`. */
  readonly media: HTMLMediaElement | null;
  /** hls.js's current rendition index, into `levels`. */
  readonly currentLevel?: number;
  /** hls.js's renditions; the height of the one playing is reported. */
  readonly levels?: readonly {
    /** In pixels, from the master playlist's RESOLUTION; 0 when it gives none. */
    readonly height?: number;
  }[];
}

/** peercdn's version, as beacons report it (a test keeps it equal to package.json's). */
export const LIBRARY_VERSION = '0.1.0';

/** Sends one beacon body to the URL; must not throw. */
export type BeaconTransport = (url: string, body: string) => void;

/** Injected for tests; defaults are the page's clock and navigator.sendBeacon. */
export interface BeaconDependencies {
  readonly random: () => number;
  readonly nowMs: () => number;
  readonly transport?: BeaconTransport | undefined;
}

/** The browser globals beacons use, absent where the library also runs: Node (SSR, tests), workers. */
const runtime = globalThis as Partial<
  Pick<typeof globalThis, 'document' | 'addEventListener' | 'removeEventListener'> & { navigator: Partial<Navigator> }
>;

const sendBeacon: BeaconTransport = (url, body) => {
  // sendBeacon survives page unload; a text body is text/plain, so no CORS preflight either way
  // (the tracker sends no CORS headers: the fetch resolves as an error after delivering, ignored).
  // It throws on a URL it refuses: never out of a timer, a page listener or destroy().
  try {
    if (runtime.navigator?.sendBeacon?.(url, body)) return;
  } catch {
    // fetch below (rejects, ignored)
  }
  fetch(url, { method: 'POST', body, keepalive: true }).catch(() => undefined);
};

type Listen = 'addEventListener' | 'removeEventListener';

/** Sends the beacons of one PeerCDN instance; destroy() sends the final one. */
export class BeaconReporter {
  readonly #config: PeerCDNConfig;
  readonly #events: TypedEmitter<PeerCDNEvents>;
  readonly #stats: () => PeerCDNStats;
  readonly #nowMs: () => number;
  readonly #transport: BeaconTransport;
  readonly #session: string;
  readonly #timer: ReturnType<typeof setInterval>;
  #playhead: BeaconPlayhead | null = null;
  #media: HTMLMediaElement | null = null;
  // The swarm (rendition) of the latest segment: an interval's bytes are reported under it. The
  // engine's totals are what counts (they include aborted HTTP loads and the peer part of
  // HTTP-resumed segments).
  #swarm: string | null = null;
  // The engine's cumulative counters as of the previous beacon.
  #reported: PeerCDNStats;
  #sequence = 0;
  #done = false;
  #integrityFailures = 0;
  #stallsMs: number[] = [];
  #stallStartMs: number | null = null;
  // When attach(hls) first came: startup is counted from there.
  #startedAtMs: number | null = null;
  #startupMs: number | null = null;

  constructor(
    config: PeerCDNConfig,
    events: TypedEmitter<PeerCDNEvents>,
    stats: () => PeerCDNStats,
    dependencies: BeaconDependencies,
  ) {
    this.#config = config;
    this.#events = events;
    this.#stats = stats;
    this.#nowMs = dependencies.nowMs;
    this.#transport = dependencies.transport ?? sendBeacon;
    this.#reported = stats();
    // Random per instance, unrelated to the peer id: beacons cannot be joined to swarm traffic.
    // About 52 random bits: ample to tell sessions apart, not enough to matter for privacy.
    this.#session = dependencies.random().toString(36).slice(2).padEnd(8, '0');
    this.#timer = setInterval(() => this.send(false), config.beaconIntervalSeconds * 1000);
    events.on('segment-loaded', this.#onSegment);
    events.on('error', this.#onError);
    this.#listen('addEventListener');
  }

  /** Follow this hls.js instance: its media element (again when it may have changed) and level. */
  watch(playhead: BeaconPlayhead): void {
    this.#playhead = playhead;
    this.#startedAtMs ??= this.#nowMs();
    if (playhead.media === this.#media) return;
    this.#listen('removeEventListener');
    this.#media = playhead.media;
    this.#listen('addEventListener');
  }

  /** Send the counts since the previous beacon now; `final` marks the viewer's departure. */
  send(final: boolean): void {
    if (this.#done) return;
    if (final) this.#endStall();
    const stats = this.#stats();
    // Before the first segment there is no swarm to report under: everything waits (all zeros).
    const was = this.#swarm === null ? stats : this.#reported;
    if (this.#swarm !== null) this.#reported = stats;
    // hls.js says -1 before a level is chosen (no such entry), and height 0 when RESOLUTION is absent.
    const playhead = this.#playhead;
    const height = playhead?.levels?.[playhead.currentLevel ?? -1]?.height;
    this.#transport(
      this.#config.beaconUrl as string,
      encodeBeacon({
        version: BEACON_VERSION,
        session: this.#session,
        sequence: this.#sequence++,
        intervalSeconds: this.#config.beaconIntervalSeconds,
        library: LIBRARY_VERSION,
        region: this.#config.region,
        height: height !== undefined && height > 0 ? Math.min(Math.round(height), MAX_BEACON_HEIGHT) : null,
        startupMs: this.#startupMs,
        stallsMs: this.#stallsMs,
        peerFallbacks: stats.peerFallbacks - was.peerFallbacks,
        integrityFailures: this.#integrityFailures,
        uploadedBytes: stats.uploadedBytes - was.uploadedBytes,
        connectedPeers: stats.connectedPeers,
        final,
        swarms:
          this.#swarm === null
            ? []
            : [
                {
                  swarm: this.#swarm,
                  httpBytes: stats.httpBytes - was.httpBytes,
                  peerBytes: stats.p2pBytes - was.p2pBytes,
                  cacheBytes: stats.cacheHitBytes - was.cacheHitBytes,
                },
              ],
      }),
    );
    this.#stallsMs = [];
    this.#integrityFailures = 0;
  }

  destroy(): void {
    this.send(true);
    this.#done = true;
    clearInterval(this.#timer);
    this.#events.off('segment-loaded', this.#onSegment);
    this.#events.off('error', this.#onError);
    this.#listen('removeEventListener');
  }

  #listen(method: Listen): void {
    this.#media?.[method]('playing', this.#onPlaying);
    this.#media?.[method]('waiting', this.#onWaiting);
    runtime[method]?.('pagehide', this.#onHide);
    runtime.document?.[method]('visibilitychange', this.#onHide);
  }

  readonly #onSegment = (event: PeerCDNEvents['segment-loaded']): void => {
    this.#swarm = event.swarmId;
  };

  readonly #onError = (error: PeerCDNEvents['error']): void => {
    if (error.code === 'segment-corrupt') this.#integrityFailures += 1;
  };

  // Playing: the first time ends startup, later ones end a stall.
  readonly #onPlaying = (): void => {
    this.#startupMs ??= Math.round(this.#nowMs() - (this.#startedAtMs ?? 0));
    this.#endStall();
  };

  // Waiting after playback started, and not for a seek, is a stall.
  readonly #onWaiting = (): void => {
    if (this.#startupMs !== null && !this.#media?.seeking) this.#stallStartMs ??= this.#nowMs();
  };

  // A page that is hidden may never run again (mobile browsers discard it): report now. Leaving
  // it (pagehide, also into the back/forward cache) ends the viewer unless it comes back.
  readonly #onHide = (event: Event): void => {
    if (runtime.document?.visibilityState === 'hidden') this.send(event.type === 'pagehide');
  };

  #endStall(): void {
    if (this.#stallStartMs === null) return;
    // A beacon lists at most MAX_BEACON_STALLS (16) stalls per interval; playback that stalls more
    // often than every 2 s is counted as 16 stalls.
    if (this.#stallsMs.length < MAX_BEACON_STALLS) this.#stallsMs.push(Math.round(this.#nowMs() - this.#stallStartMs));
    this.#stallStartMs = null;
  }
}

/** The beacons of one instance, or null when beacons are off (no URL) or this viewer is not sampled. */
export function startBeacons(
  config: PeerCDNConfig,
  events: TypedEmitter<PeerCDNEvents>,
  stats: () => PeerCDNStats,
  dependencies: BeaconDependencies,
): BeaconReporter | null {
  return config.beaconUrl === null || dependencies.random() >= config.beaconSampleRate
    ? null
    : new BeaconReporter(config, events, stats, dependencies);
}
