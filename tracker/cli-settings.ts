// Where each tracker setting can come from on the command line: its flag, its environment
// variable, how the text is read, and the --help text generated from the same table.
import { DEFAULT_TRACKER_CONFIG, TrackerConfigError, type TrackerConfig } from './config.ts';

type Kind = 'string' | 'number' | 'list';

interface SettingSource {
  /** Without the leading `--`; null when the setting must not appear on a command line. */
  readonly flag: string | null;
  readonly env: string;
  readonly kind: Kind;
  readonly help: string;
}

/** One entry per setting: the type makes a new setting in config.ts fail to compile until it is listed. */
export const SETTING_SOURCES: { readonly [K in keyof TrackerConfig]: SettingSource } = {
  host: { flag: 'host', env: 'PEERCDN_TRACKER_HOST', kind: 'string', help: 'listen address' },
  port: { flag: 'port', env: 'PEERCDN_TRACKER_PORT', kind: 'number', help: 'listen port, 0 = any free port' },
  announceIntervalSeconds: {
    flag: 'announce-interval',
    env: 'PEERCDN_TRACKER_ANNOUNCE_INTERVAL',
    kind: 'number',
    help: 'seconds between announces, told to clients',
  },
  peerTimeoutMs: {
    flag: 'peer-timeout',
    env: 'PEERCDN_TRACKER_PEER_TIMEOUT_MS',
    kind: 'number',
    help: 'ms without announce before a peer leaves its swarm',
  },
  sweepIntervalMs: {
    flag: 'sweep-interval',
    env: 'PEERCDN_TRACKER_SWEEP_INTERVAL_MS',
    kind: 'number',
    help: 'ms between looks for silent peers',
  },
  heartbeatMs: {
    flag: 'heartbeat',
    env: 'PEERCDN_TRACKER_HEARTBEAT_MS',
    kind: 'number',
    help: 'ms between WebSocket pings; no pong by the next one drops the socket',
  },
  httpRequestTimeoutMs: {
    flag: 'http-request-timeout',
    env: 'PEERCDN_TRACKER_HTTP_REQUEST_TIMEOUT_MS',
    kind: 'number',
    help: 'ms to receive a whole HTTP request (headers and body); slower ones get 408',
  },
  maxMessageBytes: {
    flag: 'max-message-bytes',
    env: 'PEERCDN_TRACKER_MAX_MESSAGE_BYTES',
    kind: 'number',
    help: 'largest frame; bigger ones close the socket (1009)',
  },
  maxOffersPerAnnounce: {
    flag: 'max-offers',
    env: 'PEERCDN_TRACKER_MAX_OFFERS_PER_ANNOUNCE',
    kind: 'number',
    help: 'announces with more offers get a failure',
  },
  maxPeersPerConnection: {
    flag: 'max-peers-per-connection',
    env: 'PEERCDN_TRACKER_MAX_PEERS_PER_CONNECTION',
    kind: 'number',
    help: 'peer ids one socket may hold',
  },
  maxNumwant: {
    flag: 'max-numwant',
    env: 'PEERCDN_TRACKER_MAX_NUMWANT',
    kind: 'number',
    help: 'most offers relayed per announce, whatever numwant says',
  },
  allowedOrigins: {
    flag: 'allowed-origins',
    env: 'PEERCDN_TRACKER_ALLOWED_ORIGINS',
    kind: 'list',
    help: 'comma-separated browser origins (https://*.example.com too); others get HTTP 403; none = all',
  },
  allowedInfoHashes: {
    flag: 'allowed-info-hashes',
    env: 'PEERCDN_TRACKER_ALLOWED_INFO_HASHES',
    kind: 'list',
    help: 'comma-separated info hashes (40 hex or 20-char ids) anyone may join',
  },
  swarmTokenSecret: {
    flag: null,
    env: 'PEERCDN_TRACKER_SWARM_TOKEN_SECRET',
    kind: 'string',
    help: 'HMAC secret (>= 16 chars): swarms not allowlisted need a signed token (environment or file only)',
  },
  maxConnectionsPerAddress: {
    flag: 'max-connections-per-address',
    env: 'PEERCDN_TRACKER_MAX_CONNECTIONS_PER_ADDRESS',
    kind: 'number',
    help: 'WebSockets per IP (IPv6: per /64), more get HTTP 429; 0 = no cap',
  },
  trustedProxies: {
    flag: 'trusted-proxies',
    env: 'PEERCDN_TRACKER_TRUSTED_PROXIES',
    kind: 'list',
    help: 'comma-separated proxy addresses or CIDR blocks whose X-Forwarded-For (or Forwarded) names the client',
  },
  regionPrefixes: {
    flag: 'region-prefixes',
    env: 'PEERCDN_TRACKER_REGION_PREFIXES',
    kind: 'list',
    help: 'comma-separated <CIDR>=<region> (10.1.0.0/16=eu-west): the region of clients without a ?region= hint',
  },
  announceRatePerSecond: {
    flag: 'announce-rate',
    env: 'PEERCDN_TRACKER_ANNOUNCE_RATE_PER_SECOND',
    kind: 'number',
    help: 'sustained announces per second per socket; more get a failure',
  },
  announceBurst: {
    flag: 'announce-burst',
    env: 'PEERCDN_TRACKER_ANNOUNCE_BURST',
    kind: 'number',
    help: 'announces per socket allowed back to back',
  },
  newPeerProbationMs: {
    flag: 'new-peer-probation',
    env: 'PEERCDN_TRACKER_NEW_PEER_PROBATION_MS',
    kind: 'number',
    help: 'ms a new peer gets no offers while enough others can take them; 0 = off',
  },
  rateBenchMs: {
    flag: 'rate-bench',
    env: 'PEERCDN_TRACKER_RATE_BENCH_MS',
    kind: 'number',
    help: 'ms a socket over the announce rate is neither offered nor relayed after its last refusal; 0 = off',
  },
  logLevel: {
    flag: 'log-level',
    env: 'PEERCDN_TRACKER_LOG_LEVEL',
    kind: 'string',
    help: 'off, error, warn, info or debug (JSON lines on stdout)',
  },
  beaconRatePerSecond: {
    flag: 'beacon-rate',
    env: 'PEERCDN_TRACKER_BEACON_RATE_PER_SECOND',
    kind: 'number',
    help: 'sustained POST /beacon per second per address (IPv6: /64); more get 429; 0 = no limit',
  },
  beaconBurst: {
    flag: 'beacon-burst',
    env: 'PEERCDN_TRACKER_BEACON_BURST',
    kind: 'number',
    help: 'beacons per address allowed back to back',
  },
  fleetTopSwarms: {
    flag: 'fleet-top-swarms',
    env: 'PEERCDN_TRACKER_FLEET_TOP_SWARMS',
    kind: 'number',
    help: 'swarms with fleet metrics of their own (most viewers); the rest as swarm="other"',
  },
  redisUrl: {
    flag: 'redis',
    env: 'PEERCDN_TRACKER_REDIS_URL',
    kind: 'string',
    help: 'cluster mode: redis:// URL of the Redis 7 shared by all tracker nodes; unset = one process',
  },
  redisSentinels: {
    flag: 'redis-sentinel',
    env: 'PEERCDN_TRACKER_REDIS_SENTINELS',
    kind: 'list',
    help: 'cluster mode through Redis Sentinel: comma-separated host:port of sentinels (instead of --redis)',
  },
  redisSentinelName: {
    flag: 'redis-sentinel-name',
    env: 'PEERCDN_TRACKER_REDIS_SENTINEL_NAME',
    kind: 'string',
    help: 'cluster mode through Redis Sentinel: the master name the sentinels monitor',
  },
  redisClusterNodes: {
    flag: 'redis-cluster',
    env: 'PEERCDN_TRACKER_REDIS_CLUSTER_NODES',
    kind: 'list',
    help: 'cluster mode on a Redis Cluster: comma-separated host:port of some of its nodes (instead of --redis)',
  },
  redisConnectTimeoutMs: {
    flag: 'redis-connect-timeout',
    env: 'PEERCDN_TRACKER_REDIS_CONNECT_TIMEOUT_MS',
    kind: 'number',
    help: 'cluster mode: ms Redis has to answer at start-up, else exit code 3; later losses are retried',
  },
  redisCommandTimeoutMs: {
    flag: 'redis-command-timeout',
    env: 'PEERCDN_TRACKER_REDIS_COMMAND_TIMEOUT_MS',
    kind: 'number',
    help: 'cluster mode: ms a PING to Redis may go unanswered before the link counts as lost and is reopened',
  },
  redisMaxPendingCommands: {
    flag: 'redis-max-pending',
    env: 'PEERCDN_TRACKER_REDIS_MAX_PENDING',
    kind: 'number',
    help: 'cluster mode: Redis commands waiting for an answer at most; more are shed (peers served from memory)',
  },
  clusterHeartbeatMs: {
    flag: 'cluster-heartbeat',
    env: 'PEERCDN_TRACKER_CLUSTER_HEARTBEAT_MS',
    kind: 'number',
    help: 'cluster mode: ms between node lease renewals; 3 missed = node dead, its peers leave',
  },
  workers: {
    flag: 'workers',
    env: 'PEERCDN_TRACKER_WORKERS',
    kind: 'number',
    help: 'tracker processes on this machine sharing the port (needs --redis)',
  },
  tlsCertFile: {
    flag: 'tls-cert',
    env: 'PEERCDN_TRACKER_TLS_CERT_FILE',
    kind: 'string',
    help: 'PEM certificate chain: serve https:// and wss:// (with --tls-key); re-read on SIGHUP',
  },
  tlsKeyFile: {
    flag: 'tls-key',
    env: 'PEERCDN_TRACKER_TLS_KEY_FILE',
    kind: 'string',
    help: 'PEM private key of --tls-cert',
  },
};

/** The `parseArgs` options of every setting's flag (all read as strings). */
export function settingFlags(): Record<string, { type: 'string' }> {
  const flags: Record<string, { type: 'string' }> = {};
  for (const source of Object.values(SETTING_SOURCES))
    if (source.flag !== null) flags[source.flag] = { type: 'string' };
  return flags;
}

/**
 * Merge the three sources, flag over environment over file. Empty text counts as unset
 * (`PEERCDN_TRACKER_HOST= peercdn-tracker`). The result still goes through resolveTrackerConfig.
 */
export function settingsFromSources(
  flags: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  file: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const settings: Record<string, unknown> = { ...file };
  for (const [key, source] of Object.entries(SETTING_SOURCES)) {
    const fromFlag = source.flag === null ? undefined : flags[source.flag];
    const text = [typeof fromFlag === 'string' ? fromFlag : undefined, env[source.env]].find(
      (value) => value !== undefined && value !== '',
    );
    if (text !== undefined) settings[key] = readText(key, source.kind, text);
  }
  return settings;
}

function readText(key: string, kind: Kind, text: string): unknown {
  if (kind === 'string') return text;
  if (kind === 'list')
    return text
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new TrackerConfigError(key, `setting "${key}" must be a number, got ${JSON.stringify(text)}`);
  return value;
}

/** The options part of `--help`, one line per setting, generated from SETTING_SOURCES. */
export function settingsHelp(): string {
  return Object.entries(SETTING_SOURCES)
    .map(([key, source]) => {
      const fallback = DEFAULT_TRACKER_CONFIG[key as keyof TrackerConfig];
      const shown = Array.isArray(fallback)
        ? fallback.length === 0
          ? 'none'
          : fallback.join(',')
        : fallback === ''
          ? 'unset'
          : String(fallback);
      const flag =
        source.flag === null
          ? '(no flag)'
          : `--${source.flag} ${source.kind === 'list' ? 'LIST' : source.kind === 'number' ? 'N' : 'TEXT'}`;
      return `  ${flag.padEnd(36)} ${source.help}\n  ${''.padEnd(36)} ${source.env} · ${key} · default ${shown}`;
    })
    .join('\n');
}
