// The one adapter between sockets and the tracker core: WebSockets and HTTP endpoints on one port.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { OriginAllowlist, SwarmAccess } from './access.ts';
import { AddressConnectionCap } from './address-cap.ts';
import { resolveTrackerConfig, type TrackerConfig } from './config.ts';
import { checkUpgrade, createConnectionCounters, writeRefusal, type ConnectionCounters, type ConnectionDropReason } from './connection-gate.ts';
import { TrackerCore, type TrackerStats } from './core.ts';
import { createLogger, type Logger } from './log.ts';
import { createTrackerMetrics, type TrackerMetrics, type TrackerMetricsSnapshot } from './metrics.ts';
import { ConnectionRateLimiter } from './rate-limit.ts';
import type { TrackerConnection } from './swarm.ts';

export interface TrackerServerStats extends TrackerStats, ConnectionCounters {
  /** Open WebSockets, including those that never announced. */
  readonly sockets: number;
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

const CLOSE_UNSUPPORTED_DATA = 1003;
/** Unsent bytes one socket may hold before it is dropped as not reading. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Start a tracker: WebSocket signalling plus `GET /health`, `GET /stats.json` and `GET /metrics` on one port.
 * Settings are validated by `resolveTrackerConfig`; a bad one rejects, naming the key.
 * @example
 * const tracker = await startTracker({ host: '127.0.0.1', port: 0 });
 * console.log(tracker.url); // ws://127.0.0.1:41234
 * await tracker.close();
 */
export async function startTracker(settings: Partial<TrackerConfig> = {}, dependencies: TrackerDependencies = {}): Promise<RunningTracker> {
  const config = resolveTrackerConfig({ ...settings });
  const logger = dependencies.logger ?? createLogger({ level: config.logLevel });
  const nowMs = dependencies.nowMs ?? (() => performance.now());
  const swarmAccess = new SwarmAccess({ ...config, nowUnixMs: dependencies.nowUnixMs ?? Date.now });
  const origins = new OriginAllowlist(config.allowedOrigins);
  const addressCap = new AddressConnectionCap(config.maxConnectionsPerAddress);
  const counters = createConnectionCounters();
  const core = new TrackerCore({
    announceIntervalSeconds: config.announceIntervalSeconds,
    peerTimeoutMs: config.peerTimeoutMs,
    maxMessageBytes: config.maxMessageBytes,
    maxOffersPerAnnounce: config.maxOffersPerAnnounce,
    maxPeersPerConnection: config.maxPeersPerConnection,
    maxNumwant: config.maxNumwant,
    nowMs,
    random: dependencies.random ?? Math.random,
    ...(swarmAccess.open ? {} : { swarmGate: swarmAccess }),
    rateLimiter: new ConnectionRateLimiter({ ratePerSecond: config.announceRatePerSecond, burst: config.announceBurst, nowMs }),
    logger,
  });
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
  // noServer: upgrades pass the Origin and per-address checks below first.
  // maxPayload makes ws close an oversized frame with 1009 before it is buffered whole.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxMessageBytes, perMessageDeflate: false });
  const snapshot = (): TrackerMetricsSnapshot => ({ ...core.snapshot(), ...copyCounters(counters), sockets: wss.clients.size });
  const stats = (): TrackerServerStats => ({ ...core.stats(), ...copyCounters(counters), sockets: wss.clients.size });
  const metrics = createTrackerMetrics(snapshot);
  http.on('request', (request: IncomingMessage, response: ServerResponse) => serveHttp(request, response, stats, metrics, logger));
  const answeredPing = new WeakMap<WebSocket, boolean>();
  const drop = (reason: ConnectionDropReason, connectionId: number): void => {
    counters.droppedConnections[reason] += 1;
    if (logger.enabled('debug')) logger.debug('connection dropped', { reason, connection: connectionId });
  };
  let nextConnectionId = 1;

  http.on('upgrade', (request: IncomingMessage, tcp, head: Buffer) => {
    const address = request.socket.remoteAddress ?? '';
    const refusal = checkUpgrade(request, address, origins, addressCap);
    if (refusal !== null) {
      counters.rejectedConnections[refusal.reason] += 1;
      if (logger.enabled('debug')) logger.debug('connection refused', { reason: refusal.reason, status: refusal.status, address, origin: request.headers.origin });
      writeRefusal(tcp, refusal);
      return;
    }
    // ws answers a malformed handshake itself and then never calls back.
    wss.handleUpgrade(request, tcp, head, (socket) => wss.emit('connection', socket, request));
  });

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    answeredPing.set(socket, true);
    const address = request.socket.remoteAddress ?? '';
    addressCap.acquire(address);
    const id = nextConnectionId++;
    const connection: TrackerConnection = {
      id,
      address,
      send: (frame) => {
        if (socket.readyState !== socket.OPEN) return;
        // A client that stops reading would otherwise make the tracker buffer its offers forever.
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          drop('slow-reader', id);
          socket.terminate();
          return;
        }
        socket.send(frame);
      },
      close: (code, reason) => socket.close(code, reason),
    };
    swarmAccess.register(connection, request.url ?? '/');
    if (logger.enabled('debug')) logger.debug('connection opened', { connection: id, address, origin: request.headers.origin });
    socket.on('pong', () => answeredPing.set(socket, true));
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        drop('binary-frame', id);
        socket.close(CLOSE_UNSUPPORTED_DATA, 'text frames only');
        return;
      }
      core.handle(rawDataToText(data), connection);
    });
    // Oversized frames and protocol errors (bad UTF-8, bad opcodes) surface here as WS_ERR_*;
    // ws then closes the socket and 'close' cleans up.
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') drop('message-too-large', id);
      else if (error.code?.startsWith('WS_ERR_') === true) drop('invalid-frame', id);
    });
    socket.on('close', () => {
      addressCap.release(address);
      core.disconnect(connection);
      if (logger.enabled('debug')) logger.debug('connection closed', { connection: id });
    });
  });

  // A client that vanished without a close frame is only noticed by a missed pong.
  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
      if (answeredPing.get(socket) === false) {
        counters.droppedConnections['heartbeat-timeout'] += 1;
        if (logger.enabled('debug')) logger.debug('connection dropped', { reason: 'heartbeat-timeout' });
        socket.terminate();
        continue;
      }
      answeredPing.set(socket, false);
      socket.ping();
    }
  }, config.heartbeatMs);
  const sweeper = setInterval(() => {
    const expired = core.sweep();
    if (expired > 0 && logger.enabled('debug')) logger.debug('silent peers expired', { expired });
  }, config.sweepIntervalMs);

  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | null = null;
  return {
    url: `ws://${host}:${port}`,
    port,
    config,
    stats,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        clearInterval(sweeper);
        for (const socket of wss.clients) socket.terminate();
        wss.close(() => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      });
      return closing;
    },
  };
}

function copyCounters(counters: ConnectionCounters): ConnectionCounters {
  return { rejectedConnections: { ...counters.rejectedConnections }, droppedConnections: { ...counters.droppedConnections } };
}

function serveHttp(request: IncomingMessage, response: ServerResponse, stats: () => TrackerServerStats, metrics: TrackerMetrics, logger: Logger): void {
  const path = new URL(request.url ?? '/', 'http://tracker').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed');
  } else if (path === '/health') {
    response.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end('ok');
  } else if (path === '/stats.json') {
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(stats()));
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

function rawDataToText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
