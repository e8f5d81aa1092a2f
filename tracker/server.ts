// The one adapter between sockets and the tracker core: WebSockets and HTTP endpoints on one port.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { resolveTrackerConfig, type TrackerConfig } from './config.ts';
import { TrackerCore, type TrackerStats } from './core.ts';
import type { TrackerConnection } from './swarm.ts';

export interface TrackerServerStats extends TrackerStats {
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

/** Injected for tests; defaults are a monotonic clock, Math.random and stderr. */
export interface TrackerDependencies {
  readonly nowMs?: () => number;
  readonly random?: () => number;
  /** Errors of the listening socket after startup (e.g. EMFILE on accept); the tracker keeps serving. */
  readonly onServerError?: (error: Error) => void;
}

const CLOSE_UNSUPPORTED_DATA = 1003;
/** Unsent bytes one socket may hold before it is dropped as not reading. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Start a tracker: WebSocket signalling plus `GET /health` and `GET /stats.json` on one port.
 * Settings are validated by `resolveTrackerConfig`; a bad one rejects, naming the key.
 * @example
 * const tracker = await startTracker({ host: '127.0.0.1', port: 0 });
 * console.log(tracker.url); // ws://127.0.0.1:41234
 * await tracker.close();
 */
export async function startTracker(settings: Partial<TrackerConfig> = {}, dependencies: TrackerDependencies = {}): Promise<RunningTracker> {
  const config = resolveTrackerConfig({ ...settings });
  const core = new TrackerCore({
    announceIntervalSeconds: config.announceIntervalSeconds,
    peerTimeoutMs: config.peerTimeoutMs,
    maxMessageBytes: config.maxMessageBytes,
    maxOffersPerAnnounce: config.maxOffersPerAnnounce,
    maxPeersPerConnection: config.maxPeersPerConnection,
    nowMs: dependencies.nowMs ?? (() => performance.now()),
    random: dependencies.random ?? Math.random,
  });
  const http = createServer();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  // Created once listening: ws re-emits the HTTP server's errors (EADDRINUSE) on itself.
  // maxPayload makes ws close an oversized frame with 1009 before it is buffered whole.
  const wss = new WebSocketServer({ server: http, maxPayload: config.maxMessageBytes, perMessageDeflate: false });
  // ws forwards the HTTP server's 'error' (an accept failing with EMFILE under load) to wss; with
  // no listener that would throw and take down every swarm.
  wss.on('error', dependencies.onServerError ?? ((error) => console.error(`peercdn-tracker: server error: ${error.message}`)));
  const stats = (): TrackerServerStats => ({ ...core.stats(), sockets: wss.clients.size });
  http.on('request', (request: IncomingMessage, response: ServerResponse) => serveHttp(request, response, stats));
  const answeredPing = new WeakMap<WebSocket, boolean>();
  let nextConnectionId = 1;

  wss.on('connection', (socket, request) => {
    answeredPing.set(socket, true);
    const connection: TrackerConnection = {
      id: nextConnectionId++,
      address: request.socket.remoteAddress ?? '',
      send: (frame) => {
        if (socket.readyState !== socket.OPEN) return;
        // A client that stops reading would otherwise make the tracker buffer its offers forever.
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          socket.terminate();
          return;
        }
        socket.send(frame);
      },
      close: (code, reason) => socket.close(code, reason),
    };
    socket.on('pong', () => answeredPing.set(socket, true));
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        socket.close(CLOSE_UNSUPPORTED_DATA, 'text frames only');
        return;
      }
      core.handle(rawDataToText(data), connection);
    });
    // Oversized frames, bad UTF-8 and resets surface here; ws then closes the socket and 'close' cleans up.
    socket.on('error', () => undefined);
    socket.on('close', () => core.disconnect(connection));
  });

  // A client that vanished without a close frame is only noticed by a missed pong.
  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
      if (answeredPing.get(socket) === false) {
        socket.terminate();
        continue;
      }
      answeredPing.set(socket, false);
      socket.ping();
    }
  }, config.heartbeatMs);
  const sweeper = setInterval(() => core.sweep(), config.sweepIntervalMs);

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

function serveHttp(request: IncomingMessage, response: ServerResponse, stats: () => TrackerServerStats): void {
  const path = new URL(request.url ?? '/', 'http://tracker').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed');
  } else if (path === '/health') {
    response.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end('ok');
  } else if (path === '/stats.json') {
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(stats()));
  } else {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  }
}

function rawDataToText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
