// The one adapter between sockets and the tracker core: WebSockets and HTTP endpoints on one port.
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { OriginAllowlist, SwarmAccess } from './access.ts';
import { AddressConnectionCap } from './address-cap.ts';
import { RegionResolver } from './region.ts';
import { ClientAddresses, type ClientAddressCounters } from './client-address.ts';
import { isClusterMode, parseHostPort, resolveTrackerConfig, type TrackerConfig } from './config.ts';
import { createConnectionCounters, type ConnectionCounters } from './connection-gate.ts';
import { clusterMetricsText } from './cluster/cluster-metrics.ts';
import { RedisSwarmCluster, type ClusterStats } from './cluster/redis-swarm-cluster.ts';
import type { TrackerStats } from './core.ts';
import { createTrackerCore } from './core-from-config.ts';
import { ExpirySweep } from './expiry-sweep.ts';
import { createFleet, type FleetStats } from './fleet.ts';
import { createLogger, type Logger } from './log.ts';
import { createTrackerMetrics, type TrackerMetrics, type TrackerMetricsSnapshot } from './metrics.ts';
import { WebSocketUpgrades } from './websocket-upgrades.ts';
import { readTlsFiles, type TlsFiles } from './tls-files.ts';

export interface TrackerServerStats extends TrackerStats, ConnectionCounters {
  /** Open WebSockets, including those that never announced. */
  readonly sockets: number;
  /** Client addresses taken from X-Forwarded-For (trustedProxies). */
  readonly proxied: ClientAddressCounters;
  /** What viewers' beacons report (fleet telemetry). */
  readonly fleet: FleetStats;
  /** Cluster mode only: this node, its Redis link and cluster-wide swarm sizes. */
  readonly cluster?: ClusterStats;
}

export interface RunningTracker {
  /** `ws://host:port` (`wss://` with TLS), to give to clients. */
  readonly url: string;
  readonly port: number;
  readonly config: TrackerConfig;
  stats(): TrackerServerStats;
  /**
   * With TLS: read the certificate and key files again and use them for new connections (a renewed
   * certificate, no restart; the CLI calls it on SIGHUP). Throws TrackerConfigError, keeping the
   * certificate in use, when they cannot be read or do not match; without TLS it does nothing.
   */
  reloadTls(): void;
  /** Terminate every socket, stop the timers, stop listening. Idempotent. */
  close(): Promise<void>;
}

/** Injected for tests; defaults are a monotonic clock, the wall clock, Math.random and a stdout logger at `config.logLevel`. */
export interface TrackerDependencies {
  readonly nowMs?: () => number;
  /** Wall clock, for swarm token expiry. */
  readonly nowUnixMs?: () => number;
  readonly random?: () => number;
  readonly logger?: Logger;
  /** Errors of the listening socket after startup (e.g. EMFILE on accept); the tracker keeps serving. Default: logged as errors. */
  readonly onServerError?: (error: Error) => void;
}

/**
 * Start a tracker: WebSocket signalling plus `GET /health`, `GET /stats.json` and `GET /metrics` on one port.
 * Settings are validated by `resolveTrackerConfig`; a bad one rejects, naming the key.
 * @example
 * const tracker = await startTracker({ host: '127.0.0.1', port: 0 });
 * console.log(tracker.url); // ws://127.0.0.1:41234
 * await tracker.close();
 */
export async function startTracker(
  settings: Partial<TrackerConfig> = {},
  dependencies: TrackerDependencies = {},
): Promise<RunningTracker> {
  const config = resolveTrackerConfig({ ...settings });
  // Read before anything starts: a bad file stops start-up, naming its setting.
  const tls = readTlsFiles(config);
  const logger = dependencies.logger ?? createLogger({ level: config.logLevel });
  const nowMs = dependencies.nowMs ?? (() => performance.now());
  const nowUnixMs = dependencies.nowUnixMs ?? Date.now;
  const swarmAccess = new SwarmAccess({ ...config, nowUnixMs });
  const clientAddresses = new ClientAddresses(config.trustedProxies);
  const counters = createConnectionCounters();
  const cluster = await startCluster(config, nowUnixMs, logger);
  const core = createTrackerCore(config, {
    nowMs,
    random: dependencies.random ?? Math.random,
    ...(swarmAccess.open ? {} : { swarmGate: swarmAccess }),
    logger,
    ...(cluster === null ? {} : { cluster }),
  });
  cluster?.bind(core);
  const { http, scheme, reloadTls } = httpServer(config, tls);
  try {
    await listen(http, config);
  } catch (error) {
    await cluster?.close();
    throw error;
  }
  // Errors after startup (an accept failing with EMFILE under load): with no listener they would
  // throw and take down every swarm.
  http.on('error', dependencies.onServerError ?? ((error) => logger.error('server error', { error })));
  const upgrades = new WebSocketUpgrades({
    ...config,
    core,
    origins: new OriginAllowlist(config.allowedOrigins),
    addressCap: new AddressConnectionCap(config.maxConnectionsPerAddress),
    regions: new RegionResolver(config.regionPrefixes),
    clientAddresses,
    swarmAccess,
    counters,
    logger,
    nowMs,
  });
  http.on('upgrade', (request: IncomingMessage, tcp: Duplex, head: Buffer) => upgrades.upgrade(request, tcp, head));
  const fleet = createFleet(config, { nowMs, nowUnixMs, logger });
  const stats = (): TrackerServerStats => ({
    ...core.stats(),
    ...copyCounters(counters),
    sockets: upgrades.size,
    proxied: { ...clientAddresses.counters },
    fleet: fleet.stats(),
    ...(cluster === null ? {} : { cluster: cluster.stats() }),
  });
  const metrics = createTrackerMetrics(
    (): TrackerMetricsSnapshot => ({
      ...core.snapshot(),
      ...copyCounters(counters),
      sockets: upgrades.size,
      proxied: { ...clientAddresses.counters },
    }),
    cluster === null ? () => fleet.metricsText() : () => fleet.metricsText() + clusterMetricsText(cluster.stats()),
  );
  http.on('request', (request: IncomingMessage, response: ServerResponse) =>
    fleet.handles(request) ? fleet.serve(request, response) : serveHttp(request, response, stats, metrics, logger),
  );
  const sweeper = new ExpirySweep(
    (maxPeers) => core.sweep(maxPeers),
    config.sweepIntervalMs,
    (expired) => {
      if (expired > 0 && logger.enabled('debug')) logger.debug('silent peers expired', { expired });
    },
  );

  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | null = null;
  return {
    url: `${scheme}://${host}:${port}`,
    port,
    config,
    stats,
    reloadTls,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        sweeper.close();
        upgrades.close();
        const stopCluster = cluster === null ? Promise.resolve() : cluster.close();
        http.close(() => void stopCluster.then(resolve));
        http.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Cluster mode: swarms shared with other nodes through Redis; rejects (ClusterError) when Redis is not there in time. */
function startCluster(
  config: TrackerConfig,
  nowUnixMs: () => number,
  logger: Logger,
): Promise<RedisSwarmCluster | null> {
  if (!isClusterMode(config)) return Promise.resolve(null);
  const sentinels = config.redisSentinels.flatMap((entry) => parseHostPort(entry) ?? []);
  const nodes = config.redisClusterNodes.flatMap((entry) => parseHostPort(entry) ?? []);
  return RedisSwarmCluster.start({
    endpoint:
      sentinels.length > 0
        ? { kind: 'sentinel', sentinels, masterName: config.redisSentinelName }
        : nodes.length > 0
          ? { kind: 'cluster', nodes }
          : { kind: 'url', url: config.redisUrl },
    connectTimeoutMs: config.redisConnectTimeoutMs,
    commandTimeoutMs: config.redisCommandTimeoutMs,
    maxPendingCommands: config.redisMaxPendingCommands,
    peerTimeoutMs: config.peerTimeoutMs,
    maxSdpChars: config.maxMessageBytes,
    nodeHeartbeatMs: config.clusterHeartbeatMs,
    nowUnixMs,
    logger,
  });
}

/**
 * Node's HTTP timeouts for requests that must arrive whole within `timeoutMs`: headers and body
 * alike. Node checks them every `connectionsCheckingInterval` (default 30 s), which would let a slow
 * request live that much longer. They end at a WebSocket upgrade (Node frees the request's parser).
 */
function httpTimeouts(timeoutMs: number): ServerOptions {
  return {
    headersTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.ceil(timeoutMs / 4)),
  };
}

/**
 * The HTTP server (HTTPS with the certificate files read at start, `tls`), the WebSocket scheme its
 * clients use, and the reload of those files for new connections (nothing to reload without TLS).
 */
function httpServer(
  config: TrackerConfig,
  tls: TlsFiles | null,
): { readonly http: Server | HttpsServer; readonly scheme: 'ws' | 'wss'; readonly reloadTls: () => void } {
  const options = httpTimeouts(config.httpRequestTimeoutMs);
  if (tls === null) return { http: createServer(options), scheme: 'ws', reloadTls: () => undefined };
  const https = createHttpsServer({ ...options, ...tls });
  return {
    http: https,
    scheme: 'wss',
    reloadTls: () => {
      const files = readTlsFiles(config);
      if (files !== null) https.setSecureContext(files);
    },
  };
}

function listen(http: Server | HttpsServer, config: TrackerConfig): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
}

function copyCounters(counters: ConnectionCounters): ConnectionCounters {
  return {
    rejectedConnections: { ...counters.rejectedConnections },
    droppedConnections: { ...counters.droppedConnections },
  };
}

function serveHttp(
  request: IncomingMessage,
  response: ServerResponse,
  stats: () => TrackerServerStats,
  metrics: TrackerMetrics,
  logger: Logger,
): void {
  const path = requestPath(request.url ?? '/');
  if (path === null) {
    response.writeHead(400, { 'Content-Type': 'text/plain', Connection: 'close' }).end('bad request target');
  } else if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed');
  } else if (path === '/health') {
    response.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end('ok');
  } else if (path === '/stats.json') {
    // Readable from any page (the demo's fleet page, a status page): it holds no secrets.
    response
      .writeHead(200, {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        'Access-Control-Allow-Origin': '*',
      })
      .end(JSON.stringify(stats()));
  } else if (path === '/metrics') {
    metrics.render().then(
      (text) => response.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }).end(text),
      (error: unknown) => {
        logger.error('metrics failed', { error });
        response.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics failed');
      },
    );
  } else {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  }
}

/**
 * The path of a request target, or null when it is no URL: Node's parser passes targets such as
 * `//`, `//x:99999/` or `//%/`, on which `new URL` throws (uncaught, it ended the process).
 */
function requestPath(target: string): string | null {
  try {
    return new URL(target, 'http://tracker').pathname;
  } catch {
    return null;
  }
}
