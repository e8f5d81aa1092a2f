// The viewer beacon: one compact JSON summary a viewer sends every few seconds, shared by the
// library (which encodes it) and the tracker (which parses it, once, at its edge). Dependency-free.

/** Wire format version; a receiver refuses any other (2: `height` replaced version 1's `level`). */
export const BEACON_VERSION = 2;
/** Largest beacon body accepted, in bytes (a full beacon of MAX_BEACON_SWARMS swarms is ~1 KB). */
export const MAX_BEACON_BYTES = 2048;
/** Most swarms one beacon reports (a viewer is in one swarm per rendition it played). */
export const MAX_BEACON_SWARMS = 8;
/** Most stall durations one beacon lists; further stalls in the interval add to the last one. */
export const MAX_BEACON_STALLS = 16;
/** Bound on any byte count in one beacon interval (1 TiB): larger is a forgery or a bug. */
export const MAX_BEACON_INTERVAL_BYTES = 2 ** 40;
/** Bound on a count or a duration in ms in one beacon. */
export const MAX_BEACON_COUNT = 2 ** 31;
/** Shortest and longest beacon interval a sender may announce, in seconds. */
export const MIN_BEACON_INTERVAL_SECONDS = 1;
export const MAX_BEACON_INTERVAL_SECONDS = 3600;
/** Largest rendition height a beacon may tell, in pixels (16K). */
export const MAX_BEACON_HEIGHT = 8640;

/** One swarm's bytes handed to hls.js during the interval, by where they came from. */
export interface BeaconSwarm {
  /** The swarm id (20 printable characters, the tracker's info hash). */
  readonly swarm: string;
  readonly httpBytes: number;
  readonly peerBytes: number;
  readonly cacheBytes: number;
}

/**
 * What one viewer reports about one interval. Counts are deltas since its previous beacon;
 * `startupMs`, `connectedPeers`, `height` are current values. No personal data: the session id
 * is random per page session and not the peer id.
 */
export interface Beacon {
  readonly version: typeof BEACON_VERSION;
  /** Random per PeerCDN instance (8-32 of [0-9A-Za-z]); counts viewers, dedupes replays. */
  readonly session: string;
  /** 0, 1, 2, ... per session; a receiver ignores one it has seen. */
  readonly sequence: number;
  /** The sender's interval: it is counted as a viewer for a few of these after its last beacon. */
  readonly intervalSeconds: number;
  /** peercdn's version (semver-ish, at most 32 characters). */
  readonly library: string;
  /** The site's region hint (at most 32 of [0-9A-Za-z_.-]), or null. */
  readonly region: string | null;
  /**
   * The height in pixels of the rendition playing (its RESOLUTION in the master playlist), or null
   * before one is chosen or when the playlist gives none. Not hls.js's level index: hls.js drops the
   * renditions a browser cannot play and sorts the rest, so one index names different renditions.
   */
  readonly height: number | null;
  /** Milliseconds from attach(hls) to first playback, once known; null before. */
  readonly startupMs: number | null;
  /** Durations of stalls that ended in the interval, in ms (playback waiting after it had started). */
  readonly stallsMs: readonly number[];
  readonly peerFallbacks: number;
  /** Segments from peers that failed the integrity check. */
  readonly integrityFailures: number;
  readonly uploadedBytes: number;
  readonly connectedPeers: number;
  /** True for the last beacon of a session (page hidden for good or destroy()). */
  readonly final: boolean;
  readonly swarms: readonly BeaconSwarm[];
}

/** The beacon's body: compact JSON (sent as text/plain, so no CORS preflight). */
export const encodeBeacon = (beacon: Beacon): string => JSON.stringify(beacon);

/** Why a beacon was refused. */
export type BeaconProblem = { readonly problem: string };

const KEYS = [
  'version',
  'session',
  'sequence',
  'intervalSeconds',
  'library',
  'region',
  'height',
  'startupMs',
  'stallsMs',
  'peerFallbacks',
  'integrityFailures',
  'uploadedBytes',
  'connectedPeers',
  'final',
  'swarms',
] as const;
const SWARM_KEYS = ['swarm', 'httpBytes', 'peerBytes', 'cacheBytes'] as const;
const SESSION = /^[0-9A-Za-z]{8,32}$/;
const LIBRARY = /^[0-9A-Za-z.+-]{1,32}$/;
const REGION = /^[0-9A-Za-z_.-]{1,32}$/;
const SWARM_ID = /^[\x21-\x7e]{20}$/;

const isIntegerIn = (value: unknown, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;

function hasExactly(value: unknown, keys: readonly string[]): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((key) => Object.hasOwn(value, key));
}

function parseSwarm(value: unknown): BeaconSwarm | string {
  if (!hasExactly(value, SWARM_KEYS)) return `each swarm must have exactly ${SWARM_KEYS.join(', ')}`;
  const { swarm, httpBytes, peerBytes, cacheBytes } = value;
  if (typeof swarm !== 'string' || !SWARM_ID.test(swarm)) return 'swarm must be 20 printable ASCII characters';
  for (const [name, bytes] of [
    ['httpBytes', httpBytes],
    ['peerBytes', peerBytes],
    ['cacheBytes', cacheBytes],
  ] as const) {
    if (!isIntegerIn(bytes, MAX_BEACON_INTERVAL_BYTES)) return `${name} must be an integer from 0 to 2^40`;
  }
  return { swarm, httpBytes: httpBytes as number, peerBytes: peerBytes as number, cacheBytes: cacheBytes as number };
}

/**
 * Parse and validate an untrusted beacon body: exactly the known keys, every value typed and
 * bounded, at most MAX_BEACON_BYTES (UTF-16 length is checked first; the caller bounds raw bytes).
 */
export function parseBeacon(text: string): Beacon | BeaconProblem {
  if (text.length > MAX_BEACON_BYTES) return { problem: `larger than ${MAX_BEACON_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  if (!hasExactly(value, KEYS)) return { problem: `must be an object with exactly ${KEYS.join(', ')}` };
  const v = value;
  if (v['version'] !== BEACON_VERSION) return { problem: `version must be ${BEACON_VERSION}` };
  if (typeof v['session'] !== 'string' || !SESSION.test(v['session']))
    return { problem: 'session must be 8-32 of [0-9A-Za-z]' };
  if (!isIntegerIn(v['sequence'], MAX_BEACON_COUNT)) return { problem: 'sequence must be an integer from 0 to 2^31' };
  const interval = v['intervalSeconds'];
  if (!isIntegerIn(interval, MAX_BEACON_INTERVAL_SECONDS) || interval < MIN_BEACON_INTERVAL_SECONDS)
    return { problem: 'intervalSeconds must be an integer from 1 to 3600' };
  if (typeof v['library'] !== 'string' || !LIBRARY.test(v['library']))
    return { problem: 'library must be 1-32 of [0-9A-Za-z.+-]' };
  if (v['region'] !== null && (typeof v['region'] !== 'string' || !REGION.test(v['region'])))
    return { problem: 'region must be null or 1-32 of [0-9A-Za-z_.-]' };
  if (v['height'] !== null && !isIntegerIn(v['height'], MAX_BEACON_HEIGHT))
    return { problem: `height must be null or an integer from 0 to ${MAX_BEACON_HEIGHT}` };
  if (v['startupMs'] !== null && !isIntegerIn(v['startupMs'], MAX_BEACON_COUNT))
    return { problem: 'startupMs must be null or an integer from 0 to 2^31' };
  const stalls = v['stallsMs'];
  if (
    !Array.isArray(stalls) ||
    stalls.length > MAX_BEACON_STALLS ||
    !stalls.every((ms) => isIntegerIn(ms, MAX_BEACON_COUNT))
  ) {
    return { problem: `stallsMs must be at most ${MAX_BEACON_STALLS} integers from 0 to 2^31` };
  }
  for (const key of ['peerFallbacks', 'integrityFailures', 'connectedPeers'] as const) {
    if (!isIntegerIn(v[key], MAX_BEACON_COUNT)) return { problem: `${key} must be an integer from 0 to 2^31` };
  }
  if (!isIntegerIn(v['uploadedBytes'], MAX_BEACON_INTERVAL_BYTES))
    return { problem: 'uploadedBytes must be an integer from 0 to 2^40' };
  if (typeof v['final'] !== 'boolean') return { problem: 'final must be a boolean' };
  const rawSwarms = v['swarms'];
  if (!Array.isArray(rawSwarms) || rawSwarms.length > MAX_BEACON_SWARMS)
    return { problem: `swarms must be an array of at most ${MAX_BEACON_SWARMS}` };
  const swarms: BeaconSwarm[] = [];
  for (const raw of rawSwarms) {
    const swarm = parseSwarm(raw);
    if (typeof swarm === 'string') return { problem: swarm };
    if (swarms.some((seen) => seen.swarm === swarm.swarm)) return { problem: 'swarms must not repeat a swarm' };
    swarms.push(swarm);
  }
  return {
    version: BEACON_VERSION,
    session: v['session'],
    sequence: v['sequence'],
    intervalSeconds: interval,
    library: v['library'],
    region: v['region'],
    height: v['height'],
    startupMs: v['startupMs'],
    stallsMs: stalls,
    peerFallbacks: v['peerFallbacks'] as number,
    integrityFailures: v['integrityFailures'] as number,
    uploadedBytes: v['uploadedBytes'],
    connectedPeers: v['connectedPeers'] as number,
    final: v['final'],
    swarms,
  };
}

/** Whether `parseBeacon` refused the body. */
export const isBeaconProblem = (result: Beacon | BeaconProblem): result is BeaconProblem => 'problem' in result;
