// One player: hls.js with peercdn, as a site would set them up (the README's lines, with fleet
// beacons to the demo tracker), plus what the page shows about it: rendition, buffer, and the
// source of every segment.
import type { PeerCDN as PeerCDNInstance, SegmentLoadedEvent } from '../../lib/index.ts';

export interface Rendition {
  readonly height: number;
  readonly bitsPerSecond: number;
  /** hls.js picks the rendition (ABR), not a fixed choice. */
  readonly automatic: boolean;
  readonly count: number;
}

export interface ViewerOptions {
  readonly source: string;
  readonly trackerUrl: string;
  readonly video: HTMLVideoElement;
  readonly onSegment: (event: SegmentLoadedEvent) => void;
  /** hls.js gave up (fatal error): what it said. */
  readonly onFatalError: (message: string) => void;
}

// Beacons every 5 s (the default is 30 s) so the fleet page moves while you watch.
const DEMO_BEACON_INTERVAL_SECONDS = 5;

/** The tracker's `POST /beacon` on the same host and port as its WebSocket URL. */
export function beaconUrlOf(trackerUrl: string): string {
  return new URL('/beacon', trackerUrl.replace(/^ws/, 'http')).href;
}

export class Viewer {
  readonly p2p: PeerCDNInstance;
  readonly #hls: InstanceType<typeof Hls>;
  readonly #video: HTMLVideoElement;

  constructor(options: ViewerOptions) {
    this.#video = options.video;
    // No STUN: the demo's viewers are on this machine (and tests run without a network).
    // Beacons to the tracker's /beacon: what the fleet page (demo/fleet.html) shows.
    this.p2p = new PeerCDN.PeerCDN(
      {
        trackerUrls: [options.trackerUrl],
        iceServers: [],
        beaconUrl: beaconUrlOf(options.trackerUrl),
        beaconIntervalSeconds: DEMO_BEACON_INTERVAL_SECONDS,
      },
      { startBeacons: PeerCDN.startBeacons },
    );
    this.#hls = new Hls({ ...this.p2p.hlsConfig() });
    this.p2p.attach(this.#hls);
    this.p2p.on('segment-loaded', options.onSegment);
    this.p2p.on('error', (error) => console.warn('peercdn:', error.code, error.message));
    this.#hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) options.onFatalError(`${data.type}: ${data.details}`);
    });
    this.#hls.loadSource(options.source);
    this.#hls.attachMedia(options.video);
  }

  /** The rendition playing now (or being loaded before playback starts); null before the manifest. */
  rendition(): Rendition | null {
    const levels = this.#hls.levels;
    const index = this.#hls.currentLevel >= 0 ? this.#hls.currentLevel : this.#hls.loadLevel;
    const level = levels[index];
    if (level === undefined) return null;
    return {
      height: level.height,
      bitsPerSecond: level.bitrate,
      automatic: this.#hls.autoLevelEnabled,
      count: levels.length,
    };
  }

  /** Seconds buffered ahead of the playhead. */
  bufferAheadSeconds(): number {
    const { buffered, currentTime } = this.#video;
    for (let i = 0; i < buffered.length; i++) {
      if (buffered.start(i) <= currentTime + 0.1 && currentTime < buffered.end(i)) return buffered.end(i) - currentTime;
    }
    return 0;
  }

  /** The maximum buffer hls.js aims for, seconds. */
  get targetBufferSeconds(): number {
    return this.#hls.config.maxBufferLength;
  }

  destroy(): void {
    this.#hls.destroy();
    this.p2p.destroy();
  }
}
