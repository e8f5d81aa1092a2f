import { P2PError } from './errors.ts';

/** What a segment validator is told about a segment that came from a peer. */
export interface SegmentInfo {
  /** The segment's URL (what hls.js would have fetched). */
  readonly url: string;
  /** The swarm (rendition) it belongs to. */
  readonly swarmId: string;
  /** Its media sequence number. */
  readonly sequenceNumber: number;
}

/**
 * Decides whether a segment from a peer is intact (e.g. against a hash list the site publishes);
 * false or a rejection drops the peer and loads the segment over HTTP.
 */
export type SegmentValidator = (data: ArrayBuffer, segment: SegmentInfo) => boolean | Promise<boolean>;

/** One origin (CDN, mirror) of the stream: same paths under another base URL. */
export interface OriginSetting {
  /** Base URL ending in `/`; a URL under one origin's base is fetched as the same path under another's. */
  readonly baseUrl: string;
  /** Share of HTTP requests (default 1); 0 = used only while every weighted origin is down. */
  readonly weight?: number;
}

/** Settings of a PeerCDN instance; pass any subset to `new PeerCDN({...})`. */
export interface PeerCDNConfig {
  /** WebSocket tracker URLs (`ws://` or `wss://`); empty disables P2P (HTTP only). */
  readonly trackerUrls: readonly string[];
  /** ICE servers for WebRTC (STUN/TURN). */
  readonly iceServers: readonly RTCIceServer[];
  /** Stream identity shared by all viewers of one stream; default: derived from the playlist URL without its query. */
  readonly swarmId: string | null;
  /** Upper bound on bytes of segments kept in memory for playback and for peers. */
  readonly cacheMaxBytes: number;
  /** Upper bound on connected peers per swarm (per rendition). */
  readonly maxPeersPerSwarm: number;
  /** How many offers each tracker announce carries (bittorrent-tracker's client caps this at 5). */
  readonly offersPerAnnounce: number;
  /** A peer must deliver the first bytes of a segment within this time or the request goes to HTTP. */
  readonly peerFirstByteTimeoutMs: number;
  /** A peer must deliver the whole segment within this time or the request goes to HTTP. */
  readonly peerLoadTimeoutMs: number;
  /**
   * Leave a peer that has sent nothing yet for HTTP as soon as HTTP would only just bring the
   * segment in time, instead of waiting out `peerFirstByteTimeoutMs` (a busy uplink is not struck).
   */
  readonly silentPeerFallback: boolean;
  /** Longest wait for a peer that is fetching (or is designated to fetch) a segment, before using HTTP. */
  readonly seederWaitMs: number;
  /**
   * Before playback starts, how long its first segments may wait for peers that are connecting
   * (needs `attach(hls)`). 0 keeps startup at HTTP speed; a second or two takes startup segments
   * off the origin when other viewers are around (never waits when the tracker says nobody is).
   */
  readonly startupPeerWaitMs: number;
  /** Segments further ahead of the playhead than this come only from peers (needs `attach(hls)`). */
  readonly httpWindowSeconds: number;
  /** Serve segments to other peers: `'auto'` = yes, except on cellular or data-saver connections. */
  readonly uploadEnabled: boolean | 'auto';
  /** Upper bound on upload bandwidth to peers, or null for none. */
  readonly uploadMaxBytesPerSecond: number | null;
  /**
   * A peer's request is accepted if it would be through within this many milliseconds at the
   * uplink's measured rate, beside the uploads already accepted; otherwise it is answered `busy` and
   * the peer asks elsewhere or waits. Null: every request is queued.
   */
  readonly uploadBacklogMs: number | null;
  /**
   * Check of every segment a peer delivers, beyond the built-in one (MPEG-TS packet structure
   * when the stream's HTTP segments are MPEG-TS); null for none.
   */
  readonly validateSegment: SegmentValidator | null;
  /**
   * Where the hash manifest (SHA-256 of every segment, written by `peercdn hash`) is: a URL,
   * relative to each media playlist, for one manifest covering every rendition; null looks beside
   * each media playlist (`index.m3u8` → `index.hashes.json`). A segment from a peer whose hash does
   * not match is dropped, comes over HTTP, and that peer is banned for the session.
   */
  readonly segmentHashesUrl: string | null;
  /** Take segments from peers only when a hash manifest can vouch for them (otherwise HTTP only). */
  readonly requireSegmentHashes: boolean;
  /**
   * Where no hash manifest vouches for a peer's segment, ask the origin for a small random window of
   * it (an HTTP Range request of ~1/2048 of the segment, sent while the peer's bytes arrive) and
   * compare before hls.js gets it: a peer that sends another segment or made-up bytes is caught and
   * banned. Off by default: in the simulator it cost 1-2 points of origin share and a few deadline
   * misses (bench/README.md); publishing hashes protects without it.
   */
  readonly originSpotChecks: boolean;
  /**
   * Where to send fleet telemetry beacons (e.g. the tracker's `https://tracker.example.com/beacon`,
   * with `?token=` swarm tokens if it requires them); null sends none. Byte counts, stalls and
   * startup only: no personal data.
   */
  readonly beaconUrl: string | null;
  /** Seconds between beacons (one more goes out when the page is hidden). */
  readonly beaconIntervalSeconds: number;
  /** Share of viewers (0 to 1) that send beacons, decided once per instance. */
  readonly beaconSampleRate: number;
  /**
   * Origins serving the same paths (the playlist's among them): HTTP requests spread by weight over
   * those in rotation, fail over at once, and late urgent segments are hedged. Empty: as hls.js fetches.
   */
  readonly origins: readonly OriginSetting[];
  /**
   * This viewer's region or network hint (1-32 of `[0-9A-Za-z_.-]`, e.g. from the CDN's geo header),
   * or null: sent to the trackers (`?region=` on their URLs: peers of one region are introduced
   * first), told to peers (`stats().p2pBytesByRegion`), reported in beacons.
   */
  readonly region: string | null;
}

/** The defaults every setting falls back to. */
export const DEFAULT_CONFIG: PeerCDNConfig = Object.freeze({
  trackerUrls: Object.freeze([]),
  iceServers: Object.freeze([{ urls: 'stun:stun.l.google.com:19302' }]),
  swarmId: null,
  cacheMaxBytes: 64 * 1024 * 1024,
  maxPeersPerSwarm: 12,
  offersPerAnnounce: 5,
  peerFirstByteTimeoutMs: 1500,
  silentPeerFallback: true,
  peerLoadTimeoutMs: 10_000,
  seederWaitMs: 1500,
  startupPeerWaitMs: 0,
  httpWindowSeconds: 12,
  uploadEnabled: 'auto',
  uploadMaxBytesPerSecond: null,
  uploadBacklogMs: 1000,
  validateSegment: null,
  segmentHashesUrl: null,
  requireSegmentHashes: false,
  originSpotChecks: false,
  beaconUrl: null,
  beaconIntervalSeconds: 30,
  beaconSampleRate: 1,
  region: null,
  origins: Object.freeze([]),
});

/** Whether `value` is a region hint (the tracker's rule too): 1-32 of `[0-9A-Za-z_.-]`. */
export const isRegion = (value: unknown): value is string => typeof value === 'string' && /^[\w.-]{1,32}$/.test(value);

type Check = (value: unknown) => string | null;

// A URL that does not parse (a bad port or host) would throw where it is used: resolved against
// each playlist (segmentHashesUrl: every check of a peer's segment), in sendBeacon (beaconUrl).
const resolves = (url: string): boolean => {
  try {
    return new URL(url, 'http://a/') instanceof URL;
  } catch {
    return false;
  }
};

const isInteger = (value: unknown, min: number, max = Infinity): boolean =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

const integerIn =
  (min: number, max: number): Check =>
  (value) =>
    isInteger(value, min, max) ? null : `must be an integer from ${min} to ${max}`;

// What RTCPeerConnection accepts (else it throws, and simple-peer destroys every offer and answer:
// no P2P, and bittorrent-tracker's client never sends an announce whose offers never came).
const isIceServer = (server: unknown): boolean => {
  const { urls, username, credential } = (server ?? {}) as Record<string, unknown>;
  const list = [urls].flat();
  return (
    list.length > 0 &&
    list.every(
      (url) =>
        typeof url === 'string' &&
        /^(stun|turn)s?:/.test(url) &&
        (url[0] === 's' || (typeof username === 'string' && typeof credential === 'string')),
    )
  );
};

const isOriginSetting = (origin: unknown): boolean => {
  if (typeof origin !== 'object' || origin === null) return false;
  const { baseUrl, weight, ...rest } = origin as Record<string, unknown>;
  return (
    Object.keys(rest).length === 0 &&
    typeof baseUrl === 'string' &&
    /^https?:\/\/[^\s/]+\/(\S*\/)?$/.test(baseUrl) &&
    (weight === undefined || isInteger(weight, 0, 1000))
  );
};

const CHECKS: { readonly [K in keyof PeerCDNConfig]: Check } = {
  trackerUrls: (value) => {
    if (!Array.isArray(value)) return 'must be an array of ws:// or wss:// URLs';
    for (const url of value) {
      if (typeof url !== 'string' || !/^wss?:\/\/[^\s/]+/.test(url)) {
        return `must contain only ws:// or wss:// URLs, got ${JSON.stringify(url)}`;
      }
    }
    return null;
  },
  iceServers: (value) =>
    Array.isArray(value) && value.every(isIceServer)
      ? null
      : 'must be an array of RTCIceServer objects with `urls` (stun:, or turn: with credentials)',
  swarmId: (value) =>
    value === null || (typeof value === 'string' && value.length > 0 && value.length <= 1024)
      ? null
      : 'must be null or a non-empty string of at most 1024 characters',
  cacheMaxBytes: (value) => (isInteger(value, 1024 * 1024) ? null : 'must be an integer of at least 1048576 (1 MiB)'),
  maxPeersPerSwarm: integerIn(1, 100),
  offersPerAnnounce: integerIn(1, 5),
  peerFirstByteTimeoutMs: integerIn(1, 60_000),
  peerLoadTimeoutMs: integerIn(1, 120_000),
  seederWaitMs: integerIn(0, 30_000),
  startupPeerWaitMs: integerIn(0, 10_000),
  httpWindowSeconds: (value) =>
    typeof value === 'number' && value >= 4 && value <= 600 ? null : 'must be a number of seconds from 4 to 600',
  uploadEnabled: (value) => (typeof value === 'boolean' || value === 'auto' ? null : "must be true, false or 'auto'"),
  validateSegment: (value) => (value === null || typeof value === 'function' ? null : 'must be null or a function'),
  segmentHashesUrl: (value) =>
    value === null ||
    (typeof value === 'string' && value.length > 0 && value.length <= 2048 && !/\s/.test(value) && resolves(value))
      ? null
      : 'must be null or a URL of at most 2048 characters',
  requireSegmentHashes: (value) => (typeof value === 'boolean' ? null : 'must be true or false'),
  originSpotChecks: (value) => (typeof value === 'boolean' ? null : 'must be true or false'),
  silentPeerFallback: (value) => (typeof value === 'boolean' ? null : 'must be true or false'),
  beaconUrl: (value) =>
    value === null || (typeof value === 'string' && /^https?:\/\/[^\s/]+/.test(value) && resolves(value))
      ? null
      : 'must be null or an http(s) URL',
  beaconIntervalSeconds: integerIn(1, 3600),
  beaconSampleRate: (value) =>
    typeof value === 'number' && value >= 0 && value <= 1 ? null : 'must be a number from 0 to 1',
  region: (value) => (value === null || isRegion(value) ? null : 'must be null or 1-32 of [\\w.-]'),
  origins: (value) =>
    Array.isArray(value) &&
    value.length <= 16 &&
    value.every(isOriginSetting) &&
    (value.length === 0 || value.some((origin: OriginSetting) => origin.weight !== 0))
      ? null
      : 'must be 0-16 { baseUrl: http(s) URL ending in /, weight?: 0-1000 }, one weight > 0',
  uploadBacklogMs: (value) =>
    value === null || isInteger(value, 100) ? null : 'must be null or an integer of at least 100 (milliseconds)',
  uploadMaxBytesPerSecond: (value) =>
    value === null || isInteger(value, 16 * 1024)
      ? null
      : 'must be null or an integer of at least 16384 (bytes per second)',
};

/**
 * Merge a partial config over the defaults; throws `P2PError('config-invalid')` naming the bad key.
 */
export function resolveConfig(partial: unknown = {}): PeerCDNConfig {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
    throw new P2PError('config-invalid', 'peercdn config must be an object');
  }
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const [key, value] of Object.entries(partial)) {
    if (!Object.hasOwn(CHECKS, key)) {
      throw new P2PError(
        'config-invalid',
        `peercdn config: unknown key "${key}" (known keys: ${Object.keys(CHECKS).join(', ')})`,
      );
    }
    if (value === undefined) continue;
    const problem = CHECKS[key as keyof PeerCDNConfig](value);
    if (problem !== null) {
      throw new P2PError('config-invalid', `peercdn config: "${key}" ${problem}`);
    }
    merged[key] = value;
  }
  if ((merged['peerLoadTimeoutMs'] as number) < (merged['peerFirstByteTimeoutMs'] as number)) {
    throw new P2PError(
      'config-invalid',
      'peercdn config: "peerLoadTimeoutMs" must not be smaller than "peerFirstByteTimeoutMs"',
    );
  }
  return Object.freeze(merged) as unknown as PeerCDNConfig;
}
