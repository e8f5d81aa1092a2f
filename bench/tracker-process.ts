// The tracker under load as its own process, peercdn's or bittorrent-tracker's, started the same
// way for both: `node --expose-gc --import tsx bench/tracker-process.ts peercdn|reference [redis URL]`.
// Prints `{"url": ...}` once listening; on the IPC message `memory` it collects garbage and
// replies with heap and RSS, so "heap after everyone left" is measured alike for both.

const kind = process.argv[2];
/** Cluster mode: the Redis URL the tracker shares swarms through (bench/tracker-cluster-load.ts). */
const redisUrl = process.argv[3] ?? '';

import { monitorEventLoopDelay } from 'node:perf_hooks';

async function listen(): Promise<{ url: string; sockets: () => number; close: () => Promise<void> }> {
  // Imported on demand, so neither tracker's code counts in the other's idle heap.
  if (kind === 'peercdn' || kind === 'peercdn-tls') {
    const { startTracker } = await import('../tracker/server.ts');
    // The test certificate (loopback only); the load workers accept it without a CA.
    const tls = new URL('../fixtures/tls/', import.meta.url);
    // The bench drives each peer far above a browser's announce rate (one per 2 minutes).
    const tracker = await startTracker({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'warn',
      announceRatePerSecond: 1000,
      announceBurst: 1000,
      // Likewise probation: a bench peer in a swarm of 100 re-announces every 0.2 s, which the
      // restless rule (probation.ts) takes for a flood, so it would never be offered and a phase
      // would relay 0.6 offers per announce instead of 5 (measured 2026-12-01).
      newPeerProbationMs: 0,
      // Every simulated viewer's beacons come from 127.0.0.1 (--beacon-viewers).
      beaconRatePerSecond: 0,
      redisUrl,
      ...(kind === 'peercdn-tls'
        ? {
            tlsCertFile: new URL('tracker-a.crt', tls).pathname,
            tlsKeyFile: new URL('tracker-a.key', tls).pathname,
          }
        : {}),
    });
    return { url: tracker.url, sockets: () => tracker.stats().sockets, close: () => tracker.close() };
  }
  if (kind !== 'reference') throw new Error(`unknown tracker ${String(kind)}`);
  const { Server } = await import('bittorrent-tracker');
  const server = new Server({ udp: false, http: false, ws: true, stats: false, trustProxy: false });
  server.on('error', (error: Error) => console.error(`reference tracker: ${error.message}`));
  server.on('warning', () => undefined);
  await new Promise<void>((resolve) => {
    server.on('listening', () => resolve());
    server.listen(0, '127.0.0.1');
  });
  const address = server.http.address() as { port: number };
  // Its WebSocketServer keeps no client list; the HTTP server counts every open TCP socket (a
  // private field, read here to add no per-socket listener to the process being measured).
  const http = server.http as unknown as { _connections: number };
  return {
    url: `ws://127.0.0.1:${address.port}`,
    sockets: () => http._connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function memory(): { heapUsedBytes: number; rssBytes: number; openSockets: number } {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
  const usage = process.memoryUsage();
  return { heapUsedBytes: usage.heapUsed, rssBytes: usage.rss, openSockets: sockets() };
}

const { url, sockets, close } = await listen();
const stop = (): void => {
  void close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The coordinator is gone (crashed or killed): do not outlive it.
process.once('disconnect', stop);
// Event-loop delay of the tracker, so a phase can tell a stalled tracker from a stalled generator.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
process.on('message', (message) => {
  if (message === 'memory') process.send?.({ memory: memory() });
  else if (message === 'loop-delay') {
    process.send?.({ loopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 } });
    loopDelay.reset();
  }
});
console.log(JSON.stringify({ url }));
