// The one adapter between sockets and the tracker core: HTTP endpoints and WebSockets on one port.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { resolveTrackerConfig, type TrackerConfig } from './config.ts';
import { TrackerCore, type TrackerStats } from './core.ts';
import type { TrackerConnection } from './swarm.ts';

export interface RunningTracker {
  /** ws://host:port */
  readonly url: string;
  readonly port: number;
  readonly config: TrackerConfig;
  stats(): TrackerStats & { readonly sockets: number };
  close(): Promise<void>;
}

export interface TrackerDependencies {
  readonly nowMs?: () => number;
  readonly random?: () => number;
}

const CLOSE_UNSUPPORTED_DATA = 1003;

/** Start a tracker; settings as in `resolveTrackerConfig` (port 0 picks a free port). */
export async function startTracker(settings: Readonly<Record<string, unknown>> = {}, dependencies: TrackerDependencies = {}): Promise<RunningTracker> {
  const config = resolveTrackerConfig(settings);
  const core = new TrackerCore({
    announceIntervalSeconds: config.announceIntervalSeconds,
    peerTimeoutMs: config.peerTimeoutMs,
    maxOffersPerAnnounce: config.maxOffersPerAnnounce,
    nowMs: dependencies.nowMs ?? Date.now,
    random: dependencies.random ?? Math.random,
  });
  const alive = new WeakMap<WebSocket, boolean>();
  let nextConnectionId = 1;

  const http = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://tracker').pathname;
    if (path === '/health') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    } else if (path === '/stats.json') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(stats()));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  const wss = new WebSocketServer({ server: http, maxPayload: config.maxMessageBytes, perMessageDeflate: false });

  wss.on('connection', (socket) => {
    alive.set(socket, true);
    const connection: TrackerConnection = {
      id: nextConnectionId++,
      send: (frame) => {
        if (socket.readyState === socket.OPEN) socket.send(frame);
      },
      close: (code, reason) => socket.close(code, reason),
    };
    socket.on('pong', () => alive.set(socket, true));
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        socket.close(CLOSE_UNSUPPORTED_DATA, 'text frames only');
        return;
      }
      core.handle(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'), connection);
    });
    // Oversized frames and protocol errors surface here; the socket closes and 'close' cleans up.
    socket.on('error', () => undefined);
    socket.on('close', () => core.disconnect(connection));
  });

  // Dead clients never send a close: ping every heartbeat, drop those that missed the last one.
  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
      if (alive.get(socket) === false) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, config.heartbeatMs);
  const sweeper = setInterval(() => core.sweep(), Math.min(config.peerTimeoutMs, 60_000));

  const stats = (): TrackerStats & { sockets: number } => ({ ...core.stats(), sockets: wss.clients.size });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
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
