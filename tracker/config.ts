// Settings of a tracker process: frozen defaults, partial overrides, validation naming the key.
import { checkOriginPattern } from './access.ts';
import { checkRegionPrefix } from './region.ts';
import { checkProxyEntry } from './client-address.ts';
import { NEW_PEER_PROBATION_MS } from './core.ts';
import { LOG_LEVELS, type LogLevel } from './log.ts';
import { RATE_BENCH_MS } from './rate-bench.ts';
import { MAX_MESSAGE_BYTES, MAX_OFFERS_PER_ANNOUNCE } from './protocol.ts';
import { MIN_SWARM_TOKEN_SECRET_CHARS, infoHashToWireId } from './token.ts';

/** Settings of a tracker; each can come from a flag, the environment or a JSON file (see cli.ts). */
export interface TrackerConfig {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Seconds between a peer's announces, told to clients (bittorrent-tracker's WebSocket default: 120). */
  readonly announceIntervalSeconds: number;
  /** A peer that has not announced for this long leaves its swarms. */
  readonly peerTimeoutMs: number;
  /** How often silent peers are looked for. */
  readonly sweepIntervalMs: number;
  /** WebSocket ping interval; a socket that has not answered the previous ping is terminated. */
  readonly heartbeatMs: number;
  /**
   * An HTTP request (headers and body: a beacon, /metrics, a WebSocket upgrade's headers) not fully
   * received within this long is answered 408 and its socket closed, so slow clients cannot hold
   * sockets open; a WebSocket is not affected once upgraded.
   */
  readonly httpRequestTimeoutMs: number;
  /** Largest frame accepted; bigger ones close the socket with 1009. */
  readonly maxMessageBytes: number;
  readonly maxOffersPerAnnounce: number;
  /** Most peer ids one socket may hold over all swarms (a page with many players shares one socket). */
  readonly maxPeersPerConnection: number;
  /** Most offers relayed per announce, whatever numwant asks for (the client's offers beyond it are dropped). */
  readonly maxNumwant: number;
  /** Browser origins allowed to connect (`https://example.com`, `https://*.example.com`); empty allows all. */
  readonly allowedOrigins: readonly string[];
  /** Info hashes anyone may join (40 hex characters or 20-character wire ids); with no secret either, all are open. */
  readonly allowedInfoHashes: readonly string[];
  /** HMAC-SHA256 secret of swarm tokens (see token.ts); empty turns tokens off. */
  readonly swarmTokenSecret: string;
  /** Open WebSockets per remote address (IPv6: per /64); 0 means no cap. */
  readonly maxConnectionsPerAddress: number;
  /** Load balancers / reverse proxies (addresses or CIDR blocks) whose X-Forwarded-For (else Forwarded) gives the client's address; empty: never read. */
  readonly trustedProxies: readonly string[];
  /**
   * Regions by client address, `<CIDR block>=<region>` (first match wins), for clients that send
   * no `?region=` hint; peers of one region are introduced to each other first.
   */
  readonly regionPrefixes: readonly string[];
  /** Sustained announces (and scrapes) per second one connection may send. */
  readonly announceRatePerSecond: number;
  /** Announces one connection may send back to back before the rate applies. */
  readonly announceBurst: number;
  /** A new peer is handed no offers for this long while enough others can take them (it sends its own at once); 0 = off. */
  readonly newPeerProbationMs: number;
  /** A connection refused for its announce rate gets no offers, and its offers are not relayed, until this long after its last refusal; 0 = off. */
  readonly rateBenchMs: number;
  /** Structured log lines at or above this level go to stdout; `off` silences them. */
  readonly logLevel: LogLevel;
  /** Sustained beacons (`POST /beacon`) per second from one address (IPv6: per /64); 0 means no limit. */
  readonly beaconRatePerSecond: number;
  /** Beacons one address may send back to back before the rate applies. */
  readonly beaconBurst: number;
  /** Swarms with fleet series of their own (most viewers first); the rest are summed as `other`. */
  readonly fleetTopSwarms: number;
  /** Cluster mode: `redis://` or `rediss://` URL of the Redis 7 that nodes share swarms through; empty keeps one process with swarms in memory. */
  readonly redisUrl: string;
  /** Cluster mode through Redis Sentinel instead of `redisUrl`: `host:port` of one or more sentinels that monitor `redisSentinelName`. */
  readonly redisSentinels: readonly string[];
  /** The master name the sentinels monitor (`sentinel monitor NAME …`); needed with `redisSentinels`. */
  readonly redisSentinelName: string;
  /** Cluster mode on a Redis Cluster instead of `redisUrl`: `host:port` of one or more of its nodes (the slot map is read from them). */
  readonly redisClusterNodes: readonly string[];
  /** Cluster mode: start-up fails (exit code 3) when Redis does not answer within this long; once running, a lost Redis is retried forever. */
  readonly redisConnectTimeoutMs: number;
  /** Cluster mode: a Redis that leaves a PING unanswered this long is taken as lost (a hung server or half-open connection): local peers only, connections recycled. */
  readonly redisCommandTimeoutMs: number;
  /** Cluster mode: Redis commands for announces, leaves and relays waiting for an answer at most; past it they are shed (a slow or hung Redis) and those peers are served from memory. */
  readonly redisMaxPendingCommands: number;
  /** Cluster mode: how often a node renews its lease; a node silent for 3 of these is dead and its peers leave. */
  readonly clusterHeartbeatMs: number;
  /** Tracker processes on this machine sharing the port (Node's cluster module); more than 1 needs `redisUrl`. */
  readonly workers: number;
  /**
   * PEM certificate chain file: with `tlsKeyFile` the tracker serves HTTPS and `wss://` itself (pages
   * served over HTTPS may only open `wss://`); empty: plain HTTP and `ws://` (e.g. behind a TLS proxy).
   * Both files are read again on SIGHUP (a renewed certificate, no restart).
   */
  readonly tlsCertFile: string;
  /** PEM private key file of `tlsCertFile`. */
  readonly tlsKeyFile: string;
}

export const DEFAULT_TRACKER_CONFIG: TrackerConfig = Object.freeze({
  host: '127.0.0.1',
  port: 8000,
  announceIntervalSeconds: 120,
  peerTimeoutMs: 300_000,
  sweepIntervalMs: 30_000,
  heartbeatMs: 30_000,
  // Every request here is tiny (a beacon ≤ 2 KB); Node's defaults (headers 60 s, request 300 s)
  // let a client sending a byte every few seconds keep a socket for minutes.
  httpRequestTimeoutMs: 10_000,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxOffersPerAnnounce: MAX_OFFERS_PER_ANNOUNCE,
  maxPeersPerConnection: 100,
  maxNumwant: MAX_OFFERS_PER_ANNOUNCE,
  allowedOrigins: Object.freeze([]),
  allowedInfoHashes: Object.freeze([]),
  swarmTokenSecret: '',
  // Off by default: behind a reverse proxy every connection comes from the proxy's address.
  maxConnectionsPerAddress: 0,
  trustedProxies: Object.freeze([]),
  regionPrefixes: Object.freeze([]),
  // A client announces every announceIntervalSeconds per swarm; a burst covers a page joining several swarms at once.
  announceRatePerSecond: 1,
  announceBurst: 20,
  // Together these keep a flood of new sockets away from honest viewers' offers (issue 11):
  // probation covers the seconds before a flooding socket exhausts its burst and is benched.
  newPeerProbationMs: NEW_PEER_PROBATION_MS,
  rateBenchMs: RATE_BENCH_MS,
  logLevel: 'info',
  // Viewers behind one NAT share an address: 20/s is 600 viewers beaconing every 30 s.
  beaconRatePerSecond: 20,
  beaconBurst: 100,
  fleetTopSwarms: 20,
  redisUrl: '',
  redisSentinels: Object.freeze([]),
  redisSentinelName: '',
  redisClusterNodes: Object.freeze([]),
  redisConnectTimeoutMs: 10_000,
  redisCommandTimeoutMs: 2000,
  // 10 s of announces at 1,000/s: a healthy Redis keeps a handful waiting.
  redisMaxPendingCommands: 10_000,
  clusterHeartbeatMs: 1000,
  workers: 1,
  tlsCertFile: '',
  tlsKeyFile: '',
});

const integerIn =
  (min: number, max: number) =>
  (value: unknown): string | null =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? null
      : `must be an integer from ${min} to ${max}`;

const numberIn =
  (min: number, max: number) =>
  (value: unknown): string | null =>
    typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
      ? null
      : `must be a number from ${min} to ${max}`;

/** An array whose entries all pass `check`; the problem names the first bad entry's index. */
const listOf =
  (check: (entry: string) => string | null) =>
  (value: unknown): string | null => {
    if (!Array.isArray(value)) return 'must be an array of strings';
    for (const [i, entry] of value.entries()) {
      const problem = typeof entry === 'string' ? check(entry) : 'must be a string';
      if (problem !== null) return `entry ${i} (${JSON.stringify(entry)}) ${problem}`;
    }
    return null;
  };

const CHECKS: { readonly [K in keyof TrackerConfig]: (value: unknown) => string | null } = {
  host: (value) => (typeof value === 'string' && value.length > 0 ? null : 'must be a non-empty host name or address'),
  port: integerIn(0, 65_535),
  announceIntervalSeconds: integerIn(5, 3600),
  peerTimeoutMs: integerIn(10_000, 24 * 3_600_000),
  sweepIntervalMs: integerIn(100, 3_600_000),
  heartbeatMs: integerIn(100, 600_000),
  httpRequestTimeoutMs: integerIn(100, 300_000),
  maxMessageBytes: integerIn(1024, 1024 * 1024),
  maxOffersPerAnnounce: integerIn(1, 50),
  maxPeersPerConnection: integerIn(1, 10_000),
  maxNumwant: integerIn(0, 50),
  allowedOrigins: listOf(checkOriginPattern),
  allowedInfoHashes: listOf((entry) =>
    infoHashToWireId(entry) === null ? 'must be 40 hex characters or a 20-character wire id' : null,
  ),
  swarmTokenSecret: (value) =>
    value === '' || (typeof value === 'string' && value.length >= MIN_SWARM_TOKEN_SECRET_CHARS)
      ? null
      : `must be empty (tokens off) or a string of at least ${MIN_SWARM_TOKEN_SECRET_CHARS} characters`,
  maxConnectionsPerAddress: integerIn(0, 1_000_000),
  trustedProxies: listOf(checkProxyEntry),
  regionPrefixes: listOf(checkRegionPrefix),
  announceRatePerSecond: numberIn(0.001, 10_000),
  announceBurst: integerIn(1, 10_000),
  newPeerProbationMs: integerIn(0, 600_000),
  rateBenchMs: integerIn(0, 3_600_000),
  logLevel: (value) => (LOG_LEVELS.includes(value as LogLevel) ? null : `must be one of ${LOG_LEVELS.join(', ')}`),
  beaconRatePerSecond: numberIn(0, 100_000),
  beaconBurst: integerIn(1, 100_000),
  fleetTopSwarms: integerIn(1, 1000),
  redisUrl: (value) =>
    value === '' || (typeof value === 'string' && isRedisUrl(value))
      ? null
      : 'must be empty (no cluster) or a redis:// or rediss:// URL',
  redisSentinels: listOf((entry) => (parseHostPort(entry) === null ? 'must be host:port' : null)),
  redisSentinelName: (value) =>
    typeof value === 'string' && /^[\w.-]{0,64}$/.test(value)
      ? null
      : 'must be up to 64 letters, digits, "_", "." or "-"',
  redisClusterNodes: listOf((entry) => (parseHostPort(entry) === null ? 'must be host:port' : null)),
  redisConnectTimeoutMs: integerIn(100, 600_000),
  redisCommandTimeoutMs: integerIn(50, 60_000),
  redisMaxPendingCommands: integerIn(10, 1_000_000),
  clusterHeartbeatMs: integerIn(100, 60_000),
  workers: integerIn(1, 256),
  tlsCertFile: (value) => (typeof value === 'string' ? null : 'must be a file path (empty: no TLS)'),
  tlsKeyFile: (value) => (typeof value === 'string' ? null : 'must be a file path (empty: no TLS)'),
};

/** `host:port` (an IPv6 host in brackets) with a port from 1 to 65535, or null. */
export function parseHostPort(text: string): { readonly host: string; readonly port: number } | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  return host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535 ? null : { host, port };
}

/** Whether the tracker runs as one node of a cluster (through a Redis URL or a Sentinel group). */
export function isClusterMode(config: TrackerConfig): boolean {
  return config.redisUrl !== '' || config.redisSentinels.length > 0 || config.redisClusterNodes.length > 0;
}

function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Thrown for a bad setting; the message names the key. */
export class TrackerConfigError extends Error {
  readonly key: string;

  constructor(key: string, message: string) {
    super(message);
    this.name = 'TrackerConfigError';
    this.key = key;
  }
}

/** Merge settings over the defaults; rejects unknown keys and bad values, naming the key. Undefined values keep the default. */
export function resolveTrackerConfig(partial: Readonly<Record<string, unknown>> = {}): TrackerConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_TRACKER_CONFIG };
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(CHECKS, key)) {
      throw new TrackerConfigError(key, `unknown setting "${key}" (known: ${Object.keys(CHECKS).join(', ')})`);
    }
    const problem = CHECKS[key as keyof TrackerConfig](value);
    // The secret is never echoed into logs or error output.
    const shown =
      key === 'swarmTokenSecret' || key === 'redisUrl'
        ? typeof value === 'string'
          ? `${value.length} characters`
          : typeof value
        : JSON.stringify(value);
    if (problem !== null) throw new TrackerConfigError(key, `setting "${key}" ${problem}, got ${shown}`);
    merged[key] = Array.isArray(value) ? Object.freeze([...(value as unknown[])]) : value;
  }
  const config = merged as unknown as TrackerConfig;
  // A peer announcing on time must never look silent.
  if (config.peerTimeoutMs <= config.announceIntervalSeconds * 1000) {
    throw new TrackerConfigError(
      'peerTimeoutMs',
      `setting "peerTimeoutMs" (${config.peerTimeoutMs}) must be longer than announceIntervalSeconds (${config.announceIntervalSeconds} s)`,
    );
  }
  const redisSources = [
    config.redisUrl !== '' ? 'redisUrl' : null,
    config.redisSentinels.length > 0 ? 'redisSentinels' : null,
    config.redisClusterNodes.length > 0 ? 'redisClusterNodes' : null,
  ].flatMap((source) => source ?? []);
  if (redisSources.length > 1)
    throw new TrackerConfigError(
      redisSources[1] ?? 'redisUrl',
      `settings ${redisSources.map((source) => `"${source}"`).join(' and ')} exclude each other: use one`,
    );
  if (config.redisSentinels.length > 0 && config.redisSentinelName === '')
    throw new TrackerConfigError('redisSentinelName', 'setting "redisSentinelName" is needed with redisSentinels');
  if ((config.tlsCertFile === '') !== (config.tlsKeyFile === '')) {
    const missing = config.tlsCertFile === '' ? 'tlsCertFile' : 'tlsKeyFile';
    throw new TrackerConfigError(
      missing,
      `setting "${missing}" is needed with ${missing === 'tlsCertFile' ? 'tlsKeyFile' : 'tlsCertFile'}: TLS takes both`,
    );
  }
  // Workers without Redis would each hold a separate part of every swarm: peers would not meet.
  if (config.workers > 1 && !isClusterMode(config)) {
    throw new TrackerConfigError(
      'workers',
      `setting "workers" (${config.workers}) needs redisUrl, redisSentinels or redisClusterNodes: workers share swarms through Redis`,
    );
  }
  return Object.freeze(config);
}
