// The HTTP origin for demo, tests and benchmarks: the sample stream as VOD and as simulated live,
// static files, CORS, Range, and byte counters that are the ground truth for offload.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRange } from './http-range.ts';
import { liveSegmentAvailable, livePlaylist, parseVodPlaylist, type VodPlaylist } from './live-playlist.ts';
import { OriginCounters, type OriginByteCounts } from './origin-counters.ts';

export type { OriginByteCounts } from './origin-counters.ts';

export interface OriginServerOptions {
  readonly host?: string;
  readonly port?: number;
  readonly sampleDir?: string;
  readonly liveWindowSegments?: number;
  /** URL prefix (ending in '/') → directory served below it. */
  readonly staticRoutes?: Readonly<Record<string, string>>;
  readonly nowMs?: () => number;
}

export interface OriginServer {
  readonly url: string;
  readonly port: number;
  counts(): OriginByteCounts;
  resetCounts(): void;
  close(): Promise<void>;
}

interface Rendition {
  readonly playlistText: string;
  readonly playlist: VodPlaylist;
  readonly segments: readonly Buffer[];
}

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

function loadSample(sampleDir: string): { master: string; renditions: Map<string, Rendition> } {
  const master = readFileSync(join(sampleDir, 'master.m3u8'), 'utf8');
  const renditions = new Map<string, Rendition>();
  for (const name of readdirSync(sampleDir)) {
    const dir = join(sampleDir, name);
    if (!statSync(dir).isDirectory()) continue;
    const playlistText = readFileSync(join(dir, 'index.m3u8'), 'utf8');
    const files = [...playlistText.matchAll(/^(seg_\d+\.ts)$/gm)].map((m) => m[1] as string);
    renditions.set(name, { playlistText, playlist: parseVodPlaylist(playlistText), segments: files.map((f) => readFileSync(join(dir, f))) });
  }
  return { master, renditions };
}

/** Start the origin; `close()` stops it and every connection. */
export async function startOriginServer(options: OriginServerOptions = {}): Promise<OriginServer> {
  const sampleDir = options.sampleDir ?? fileURLToPath(new URL('../fixtures/sample/', import.meta.url));
  const windowSegments = options.liveWindowSegments ?? 6;
  const nowMs = options.nowMs ?? Date.now;
  const startedMs = nowMs();
  const { master, renditions } = loadSample(sampleDir);
  const staticRoutes = Object.entries(options.staticRoutes ?? {}).map(([prefix, dir]) => [prefix, resolve(dir)] as const);
  const counters = new OriginCounters();

  const send = (req: IncomingMessage, res: ServerResponse, body: Buffer | string, type: string, isSegment: boolean): void => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    let status = 200;
    let payload = bytes;
    if (isSegment) {
      res.setHeader('Accept-Ranges', 'bytes');
      const range = parseRange(req.headers.range, bytes.byteLength);
      if (range.kind === 'unsatisfiable') {
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.byteLength}` }).end();
        return;
      }
      if (range.kind === 'range') {
        status = 206;
        payload = bytes.subarray(range.range.start, range.range.end + 1);
        res.setHeader('Content-Range', `bytes ${range.range.start}-${range.range.end}/${bytes.byteLength}`);
      }
    }
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': payload.byteLength, 'Cache-Control': 'no-store' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    counters.count(req, payload.byteLength, isSegment ? 'segment' : type === CONTENT_TYPES['.m3u8'] ? 'playlist' : 'other');
    res.end(payload);
  };

  const serveMedia = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    const match = /^\/(vod|live)\/(?:master\.m3u8|([^/]+)\/(index\.m3u8|seg_(\d+)\.ts))$/.exec(path);
    if (match === null) return false;
    const [, mode, name, file, sequenceText] = match;
    if (name === undefined) {
      send(req, res, master, CONTENT_TYPES['.m3u8'] as string, false);
      return true;
    }
    const rendition = renditions.get(name);
    if (rendition === undefined) return false;
    const elapsedMs = nowMs() - startedMs;
    if (file === 'index.m3u8') {
      const text = mode === 'vod' ? rendition.playlistText : livePlaylist(rendition.playlist, elapsedMs, windowSegments);
      send(req, res, text, CONTENT_TYPES['.m3u8'] as string, false);
      return true;
    }
    const sequence = Number(sequenceText);
    const count = rendition.segments.length;
    if (mode === 'vod' ? sequence >= count : !liveSegmentAvailable(rendition.playlist, elapsedMs, windowSegments, sequence)) return false;
    send(req, res, rendition.segments[sequence % count] as Buffer, CONTENT_TYPES['.ts'] as string, true);
    return true;
  };

  const serveStatic = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    for (const [prefix, dir] of staticRoutes) {
      if (!path.startsWith(prefix)) continue;
      const file = resolve(dir, `.${sep}${path.slice(prefix.length)}`);
      // The decoded path may not leave the route's directory ('..', encoded or not).
      if (file !== dir && !file.startsWith(dir + sep)) return false;
      try {
        if (!statSync(file).isFile()) return false;
        send(req, res, readFileSync(file), CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', false);
        return true;
      } catch {
        return false;
      }
    }
    return false;
  };

  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, HEAD, POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Range, X-Viewer-Id, Content-Type',
        'Access-Control-Max-Age': '600',
      }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://origin').pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    if (path === '/counts' && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(counters.snapshot()));
      return;
    }
    if (path === '/counts/reset' && req.method === 'POST') {
      counters.reset();
      res.writeHead(204).end();
      return;
    }
    if (path === '/health') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD, OPTIONS' }).end();
      return;
    }
    if (serveMedia(req, res, path) || serveStatic(req, res, path)) return;
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    counts: () => counters.snapshot(),
    resetCounts: () => counters.reset(),
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
