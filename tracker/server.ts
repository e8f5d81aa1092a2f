// The one adapter between sockets and the tracker core: WebSockets and HTTP endpoints on one port.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { OriginAllowlist, SwarmAccess } from './access.ts';
import { AddressConnectionCap } from './address-cap.ts';
import { ClientAddresses, type ClientAddressCounters } from './client-address.ts';
import { resolveTrackerConfig, type TrackerConfig } from './config.ts';
import {
  checkUpgrade,
  createConnectionCounters,
  writeRefusal,
  type ConnectionCounters,
  type ConnectionDropReason,
} from './connection-gate.ts';
import { clusterMetricsText } from './cluster/cluster-metrics.ts';
import { RedisSwarmCluster, type ClusterStats } from './cluster/redis-swarm-cluster.ts';
import type { TrackerStats } from './core.ts';
import { createTrackerCore } from './core-from-config.ts';
import { createFleet, type FleetStats } from './fleet.ts';
import { Heartbeat } from './heartbeat.ts';
import { createLogger, type Logger } from './log.ts';
import { createTrackerMetrics, type TrackerMetrics, type TrackerMetricsSnapshot } from './metrics.ts';
import { SocketConnection, TurnWriteBatcher, type ConnectionHub } from './socket-connection.ts';
import { checkHandshake, handshakeResponse, writeHandshakeFailure } from './ws-handshake.ts';

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
  /** `ws://host:port`, to give to clients. */
  readonly url: string;
  readonly port: number;
  readonly config: TrackerConfig;
  stats(): TrackerServerStats;
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
 * Pings go out in slices, one every this many ms, so that each socket is pinged once per
 * heartbeatMs without a burst of 20,000 pings stalling every announce behind it (heartbeat.ts).
 */
const HEARTBEAT_SLICE_MS = 250;
/** Each TCP socket's connection, as a property: the shared listeners below find it from `this`. */
const CONNECTION = Symbol('connection');
type TrackedSocket = Socket & { [CONNECTION]: SocketConnection };
const connectionOf = (socket: Socket): SocketConnection => (socket as TrackedSocket)[CONNECTION];

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
  const logger = dependencies.logger ?? createLogger({ level: config.logLevel });
  const nowMs = dependencies.nowMs ?? (() => performance.now());
  const swarmAccess = new SwarmAccess({ ...config, nowUnixMs: dependencies.nowUnixMs ?? Date.now });
  const origins = new OriginAllowlist(config.allowedOrigins);
  const addressCap = new AddressConnectionCap(config.maxConnectionsPerAddress);
  const clientAddresses = new ClientAddresses(config.trustedProxies);
  const counters = createConnectionCounters();
  // Cluster mode: swarms shared with other nodes through Redis (startup fails if Redis is not there).
  const cluster =
    config.redisUrl === ''
      ? null
      : await RedisSwarmCluster.start({
          url: config.redisUrl,
          connectTimeoutMs: config.redisConnectTimeoutMs,
          peerTimeoutMs: config.peerTimeoutMs,
          maxSdpChars: config.maxMessageBytes,
          nodeHeartbeatMs: config.clusterHeartbeatMs,
          nowUnixMs: dependencies.nowUnixMs ?? Date.now,
          logger,
        });
  const core = createTrackerCore(config, {
    nowMs,
    random: dependencies.random ?? Math.random,
    ...(swarmAccess.open ? {} : { swarmGate: swarmAccess }),
    logger,
    ...(cluster === null ? {} : { cluster }),
  });
  cluster?.bind(core);
  const http = createServer();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  // Errors after startup (an accept failing with EMFILE under load): with no listener they would
  // throw and take down every swarm.
  http.on('error', dependencies.onServerError ?? ((error) => logger.error('server error', { error })));
  // Open WebSockets (the heartbeat keeps its own set, in the order they opened).
  const connections = new Set<SocketConnection>();
  const snapshot = (): TrackerMetricsSnapshot => ({
    ...core.snapshot(),
    ...copyCounters(counters),
    sockets: connections.size,
    proxied: { ...clientAddresses.counters },
  });
  const fleet = createFleet(config, { nowMs, nowUnixMs: dependencies.nowUnixMs ?? Date.now, logger });
  const stats = (): TrackerServerStats => ({
    ...core.stats(),
    ...copyCounters(counters),
    sockets: connections.size,
    proxied: { ...clientAddresses.counters },
    fleet: fleet.stats(),
    ...(cluster === null ? {} : { cluster: cluster.stats() }),
  });
  const metrics = createTrackerMetrics(
    snapshot,
    cluster === null ? () => fleet.metricsText() : () => fleet.metricsText() + clusterMetricsText(cluster.stats()),
  );
  http.on('request', (request: IncomingMessage, response: ServerResponse) =>
    fleet.handles(request) ? fleet.serve(request, response) : serveHttp(request, response, stats, metrics, logger),
  );
  const drop = (reason: ConnectionDropReason, connectionId: number): void => {
    counters.droppedConnections[reason] += 1;
    if (logger.enabled('debug')) logger.debug('connection dropped', { reason, connection: connectionId });
  };
  const hub: ConnectionHub = {
    batcher: new TurnWriteBatcher(),
    maxMessageBytes: config.maxMessageBytes,
    message: (connection, text) => core.handle(text, connection),
    drop,
  };
  let nextConnectionId = 1;
  let closing: Promise<void> | null = null;

  // One set of listeners for all TCP sockets (`this` is the socket): no closures per connection.
  function onData(this: Socket, chunk: Buffer): void {
    connectionOf(this).receive(chunk);
  }
  // Resets and write errors: 'close' follows and cleans up.
  function onError(): void {}
  // Only armed once a close handshake started: the peer did not finish it.
  function onTimeout(this: Socket): void {
    this.destroy();
  }
  function onClose(this: Socket): void {
    const connection = connectionOf(this);
    connection.socketClosed();
    connections.delete(connection);
    heartbeat.delete(connection);
    addressCap.release(connection.address);
    core.disconnect(connection);
    if (logger.enabled('debug')) logger.debug('connection closed', { connection: connection.id });
  }

  http.on('upgrade', (request: IncomingMessage, tcp: Duplex, head: Buffer) => {
    // Behind a trusted proxy, the client's own address (per-address caps, logs).
    const address = clientAddresses.resolve(request.socket.remoteAddress ?? '', request.headers['x-forwarded-for']);
    const refusal = checkUpgrade(request, address, origins, addressCap);
    if (refusal !== null) {
      counters.rejectedConnections[refusal.reason] += 1;
      if (logger.enabled('debug'))
        logger.debug('connection refused', {
          reason: refusal.reason,
          status: refusal.status,
          address,
          origin: request.headers.origin,
        });
      writeRefusal(tcp, refusal);
      return;
    }
    const handshake = checkHandshake(request);
    if (!handshake.ok) {
      writeHandshakeFailure(tcp, handshake);
      return;
    }
    // A client that already sent FIN or reset gets nothing.
    if (!tcp.readable || !tcp.writable || closing !== null) {
      tcp.destroy();
      return;
    }
    // Node's 'upgrade' event hands over the request's own net.Socket, typed as a Duplex.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    const socket = tcp as Socket;
    socket.setTimeout(0);
    socket.setNoDelay(true);
    socket.write(handshakeResponse(handshake.key, handshake.protocol));
    addressCap.acquire(address);
    const connection = new SocketConnection(nextConnectionId++, address, socket, hub);
    (socket as TrackedSocket)[CONNECTION] = connection;
    connections.add(connection);
    heartbeat.add(connection);
    swarmAccess.register(connection, request.url ?? '/');
    if (logger.enabled('debug'))
      logger.debug('connection opened', { connection: connection.id, address, origin: request.headers.origin });
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('timeout', onTimeout);
    socket.on('close', onClose);
    if (head.length > 0) connection.receive(head);
    socket.resume();
  });

  // A client that vanished without a close frame is only noticed by a missed pong.
  const heartbeat = new Heartbeat<SocketConnection>({
    periodMs: config.heartbeatMs,
    sliceMs: Math.min(config.heartbeatMs, HEARTBEAT_SLICE_MS),
    onDead: (connection) => {
      drop('heartbeat-timeout', connection.id);
      connection.terminate();
    },
  });
  const heartbeatTimer = setInterval(() => heartbeat.tick(nowMs()), Math.min(config.heartbeatMs, HEARTBEAT_SLICE_MS));
  const sweeper = setInterval(() => {
    const expired = core.sweep();
    if (expired > 0 && logger.enabled('debug')) logger.debug('silent peers expired', { expired });
  }, config.sweepIntervalMs);

  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `ws://${host}:${port}`,
    port,
    config,
    stats,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(heartbeatTimer);
        heartbeat.destroy();
        clearInterval(sweeper);
        for (const connection of connections) connection.terminate();
        const stopCluster = cluster === null ? Promise.resolve() : cluster.close();
        http.close(() => void stopCluster.then(resolve));
        http.closeAllConnections();
      });
      return closing;
    },
  };
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
  const path = new URL(request.url ?? '/', 'http://tracker').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
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
