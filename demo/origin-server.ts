// The HTTP origin for demo, tests and benchmarks: the sample stream as VOD and as simulated live,
// static files, CORS, Range, and byte counters that are the ground truth for offload.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRange } from './http-range.ts';
import { liveSegmentAvailable, livePlaylist, parseVodPlaylist, type VodPlaylist } from './live-playlist.ts';
import { liveHashManifest, segmentHashes, vodHashManifest } from './origin-hashes.ts';
import { OriginFaults, type OriginFaultSettings } from './origin-faults.ts';
import { countKeyOf, OriginCounters, writeBody, type CountKey, type OriginByteCounts } from './origin-counters.ts';

export type { OriginByteCounts } from './origin-counters.ts';
export type { OriginFaultSettings } from './origin-faults.ts';

/** Where the origin listens, what it serves, and its clock. */
export interface OriginServerOptions {
  readonly host?: string;
  readonly port?: number;
  /** Directory holding master.m3u8 and one sub-directory per rendition; default fixtures/sample. */
  readonly sampleDir?: string;
  /** Segments in the simulated live window; default 6. */
  readonly liveWindowSegments?: number;
  /** URL prefix (starting and ending in '/') → directory served below it. */
  readonly staticRoutes?: Readonly<Record<string, string>>;
  /** Wall clock in ms; the live window advances with it. Default `Date.now`. */
  readonly nowMs?: () => number;
  /** Serve `index.hashes.json` beside each media playlist (VOD and live); default true. */
  readonly hashManifests?: boolean;
  /** Live manifests leave out the newest this many segments (a manifest lagging the playlist); default 0. */
  readonly hashManifestLagSegments?: number;
  /** When the simulated live stream started, on `nowMs`'s clock (default: now); origins given the same serve the same window. */
  readonly liveEpochMs?: number;
  /** Faults injected into media answers from the start (see `setFaults`). */
  readonly faults?: OriginFaultSettings;
}

/** A running origin. */
export interface OriginServer {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** When its simulated live stream started (pass it to a second origin as `liveEpochMs`). */
  readonly liveEpochMs: number;
  counts(): OriginByteCounts;
  resetCounts(): void;
  /** Inject faults into media answers from now on (`{}`: none): a share of 5xx answers, added latency. */
  setFaults(faults: OriginFaultSettings): void;
  /** Media requests answered with an injected error so far. */
  readonly failedRequests: number;
  /** Stop listening and drop every connection, as a crashed origin (connections refused) until `resume()`. */
  stop(): Promise<void>;
  /** Listen again on the same port after `stop()`. */
  resume(): Promise<void>;
  /** Stops listening, closes idle and active connections, resolves when done. */
  close(): Promise<void>;
}

interface Rendition {
  readonly playlistText: string;
  readonly playlist: VodPlaylist;
  readonly segments: readonly Buffer[];
  readonly segmentsByName: ReadonlyMap<string, Buffer>;
  readonly fileNames: readonly string[];
  readonly hashes: readonly string[];
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
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
const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
const SEGMENT_TYPE = 'video/mp2t';

function loadSample(sampleDir: string): { master: string; renditions: Map<string, Rendition> } {
  const master = readFileSync(join(sampleDir, 'master.m3u8'), 'utf8');
  const renditions = new Map<string, Rendition>();
  for (const name of readdirSync(sampleDir)) {
    const dir = join(sampleDir, name);
    if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'index.m3u8'))) continue;
    const playlistText = readFileSync(join(dir, 'index.m3u8'), 'utf8');
    const files = [...playlistText.matchAll(/^(seg_\d+\.ts)$/gm)].map((m) => m[1] as string);
    const segments = files.map((file) => readFileSync(join(dir, file)));
    const segmentsByName = new Map(files.map((file, i) => [file, segments[i] as Buffer]));
    const hashes = segmentHashes(segments);
    renditions.set(name, {
      playlistText,
      playlist: parseVodPlaylist(playlistText),
      segments,
      segmentsByName,
      fileNames: files,
      hashes,
    });
  }
  return { master, renditions };
}

function validate(options: OriginServerOptions): void {
  const window = options.liveWindowSegments;
  if (window !== undefined && (!Number.isInteger(window) || window < 1)) {
    throw new RangeError(`origin: liveWindowSegments must be a positive integer, got ${window}`);
  }
  for (const prefix of Object.keys(options.staticRoutes ?? {})) {
    if (!prefix.startsWith('/') || !prefix.endsWith('/'))
      throw new RangeError(`origin: staticRoutes key ${prefix} must start and end with '/'`);
  }
}

/**
 * Start the origin; `close()` stops it and every connection.
 * @example
 * const origin = await startOriginServer({ staticRoutes: { '/pages/': 'test/browser/pages' } });
 * const hls = new Hls(); hls.loadSource(`${origin.url}/live/master.m3u8`);
 * console.log(origin.counts().segmentBytes); await origin.close();
 */
export async function startOriginServer(options: OriginServerOptions = {}): Promise<OriginServer> {
  validate(options);
  const host = options.host ?? '127.0.0.1';
  const sampleDir = options.sampleDir ?? fileURLToPath(new URL('../fixtures/sample/', import.meta.url));
  const windowSegments = options.liveWindowSegments ?? 6;
  const nowMs = options.nowMs ?? Date.now;
  const startedMs = options.liveEpochMs ?? nowMs();
  const { master, renditions } = loadSample(sampleDir);
  // Real paths, so that a symlink inside a route cannot lead out of it either. A directory that
  // does not exist yet (dist/ before a build) simply serves nothing until it does.
  const realDir = (dir: string): string => (existsSync(dir) ? realpathSync(dir) : resolve(dir));
  const staticRoutes = Object.entries(options.staticRoutes ?? {}).map(
    ([prefix, dir]) => [prefix, realDir(dir)] as const,
  );
  const counters = new OriginCounters();
  const faults = new OriginFaults();
  faults.set(options.faults ?? {});
  const delays = new Set<ReturnType<typeof setTimeout>>();

  // Counted: each 200/206 answer to a GET on media and static routes, and its body bytes (headers
  // excluded) as origin-counters describes. Not counted: HEAD, errors (400, 404, 405, 416),
  // preflights, /counts and /health: they carry no content a viewer could have had from a peer.
  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer | string,
    type: string,
    kind: CountKey['kind'],
  ): void => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    let status = 200;
    let payload = bytes;
    // Segments and static files (a stream of EXT-X-BYTERANGE segments in one file) answer Range.
    if (kind === 'segment' || kind === 'other') {
      res.setHeader('Accept-Ranges', faults.ignoresRange ? 'none' : 'bytes');
      const range = parseRange(faults.ignoresRange ? undefined : req.headers.range, bytes.byteLength);
      if (range.kind === 'unsatisfiable') {
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.byteLength}`, 'Cache-Control': 'no-store' }).end();
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
    writeBody(res, payload, counters.count(countKeyOf(req, kind), payload.byteLength));
  };

  const serveMedia = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    const match = /^\/(vod|live)\/(?:master\.m3u8|([^/]+)\/(index\.m3u8|index\.hashes\.json|seg_(\d+)\.ts))$/.exec(
      path,
    );
    if (match === null) return false;
    const [, mode, name, file, sequenceText] = match;
    if (name === undefined) {
      send(req, res, master, PLAYLIST_TYPE, 'playlist');
      return true;
    }
    const rendition = renditions.get(name);
    if (rendition === undefined || file === undefined) return false;
    const elapsedMs = nowMs() - startedMs;
    if (file === 'index.m3u8') {
      const text =
        mode === 'vod' ? rendition.playlistText : livePlaylist(rendition.playlist, elapsedMs, windowSegments);
      send(req, res, text, PLAYLIST_TYPE, 'playlist');
      return true;
    }
    if (file === 'index.hashes.json') {
      if (options.hashManifests === false) return false;
      const text =
        mode === 'vod'
          ? vodHashManifest(rendition.fileNames, rendition.hashes)
          : liveHashManifest(
              rendition.playlist,
              rendition.hashes,
              elapsedMs,
              windowSegments,
              options.hashManifestLagSegments ?? 0,
            );
      send(req, res, text, 'application/json', 'playlist');
      return true;
    }
    let segment: Buffer | undefined;
    if (mode === 'vod') {
      segment = rendition.segmentsByName.get(file);
    } else {
      // Live names are exactly seg_<media sequence number>.ts, without leading zeros.
      const sequence = Number(sequenceText);
      const canonical = String(sequence) === sequenceText && Number.isSafeInteger(sequence);
      if (canonical && liveSegmentAvailable(rendition.playlist, elapsedMs, windowSegments, sequence)) {
        segment = rendition.segments[sequence % rendition.segments.length];
      }
    }
    if (segment === undefined) return false;
    send(req, res, segment, SEGMENT_TYPE, 'segment');
    return true;
  };

  const serveStatic = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    for (const [prefix, dir] of staticRoutes) {
      if (!path.startsWith(prefix)) continue;
      // The decoded path may not leave the route's directory ('..', percent-encoded or not, or a
      // symlink): checked on the lexical path, then on the real one.
      const inside = (file: string): boolean => file.startsWith(dir + sep);
      const file = resolve(dir, `.${sep}${path.slice(prefix.length)}`);
      if (!inside(file)) return false;
      try {
        if (!inside(realpathSync(file)) || !statSync(file).isFile()) return false;
        send(req, res, readFileSync(file), CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'other');
        return true;
      } catch {
        return false; // missing, unreadable, or a NUL in the name
      }
    }
    return false;
  };

  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges');
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          'Access-Control-Allow-Methods': 'GET, HEAD, POST, OPTIONS',
          'Access-Control-Allow-Headers': 'Range, X-Viewer-Id, Content-Type',
          'Access-Control-Max-Age': '600',
        })
        .end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://origin').pathname);
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad path');
      return;
    }
    const allowed = path === '/counts/reset' ? 'POST' : 'GET, HEAD';
    if (!allowed.split(', ').includes(req.method ?? '')) {
      res.writeHead(405, { Allow: `${allowed}, OPTIONS`, 'Content-Type': 'text/plain' }).end('method not allowed');
      return;
    }
    if (path === '/counts') {
      res
        .writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
        .end(JSON.stringify(counters.snapshot()));
      return;
    }
    if (path === '/counts/reset') {
      counters.reset();
      res.writeHead(204).end();
      return;
    }
    if (path === '/health') {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end('ok');
      return;
    }
    const answer = (): void => {
      if (serveMedia(req, res, path) || serveStatic(req, res, path)) return;
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    };
    if (!/^\/(vod|live)\//.test(path)) {
      answer();
      return;
    }
    const verdict = faults.next(/\.ts$/.test(path));
    if (verdict.kind === 'fail') {
      res
        .writeHead(verdict.status, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' })
        .end('injected fault');
    } else if (verdict.delayMs === 0) {
      answer();
    } else {
      const timer = setTimeout(() => {
        delays.delete(timer);
        if (!res.destroyed) answer();
      }, verdict.delayMs);
      delays.add(timer);
    }
  });
  server.keepAliveTimeout = 30_000;
  const listen = (port: number): Promise<void> =>
    new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  const stopListening = (): Promise<void> =>
    new Promise<void>((resolveClose) => {
      for (const timer of delays) clearTimeout(timer);
      delays.clear();
      if (!server.listening) {
        resolveClose();
        return;
      }
      server.close(() => resolveClose());
      server.closeAllConnections();
    });
  await listen(options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    liveEpochMs: startedMs,
    counts: () => counters.snapshot(),
    resetCounts: () => counters.reset(),
    setFaults: (settings) => faults.set(settings),
    get failedRequests() {
      return faults.failedRequests;
    },
    stop: stopListening,
    resume: () => (closing === undefined && !server.listening ? listen(port) : Promise.resolve()),
    close: () => (closing ??= stopListening()),
  };
}
