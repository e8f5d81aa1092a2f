// What the unit tests of a load's origin requests (Range resumes, spot checks) share: the load
// request of segment 7 of a live 180p stream, hls.js callbacks that record what hls.js would hear,
// an engine that never reaches a tracker, and an origin that answers Range over real HTTP.
import type { FragmentLoaderContext, Loader, LoaderCallbacks, LoaderConfiguration } from 'hls.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveConfig, type PeerCDNConfig } from '../../lib/api/config.ts';
import { Engine } from '../../lib/engine/engine.ts';
import type { PeerLoadRequest } from '../../lib/hls/load-request.ts';
import { newStats } from '../../lib/hls/loader-stats.ts';
import type { TrackerClient } from '../../lib/swarm/tracker-client.ts';

/** An engine whose tracker client never connects, on a clock at 0 and with `random` as its randomness. */
export function offlineEngine(config: Partial<PeerCDNConfig> = {}, random = 0.5): Engine {
  return new Engine(resolveConfig({ trackerUrls: ['ws://tracker.invalid'], ...config }), {
    createTrackerClient: (): TrackerClient => ({
      on: () => undefined,
      start: () => undefined,
      destroy: () => undefined,
    }),
    random: () => random,
    nowMs: () => 0,
  });
}

/** An origin serving one file over real HTTP (see `startRangeOrigin`). */
export interface RangeOrigin {
  /** `http://127.0.0.1:port`, and the file's URL under it. */
  readonly base: string;
  readonly url: string;
  /** Set `on` to false and Range requests get the whole file with 200, as from a server without Range support. */
  readonly ranges: { on: boolean };
  /** Each request's Range header, 'whole' for none. */
  readonly asked: string[];
  readonly server: Server;
}

/** `body` at `path` on 127.0.0.1: a Range request gets 206 with those bytes (clamped to the body), else 200 whole; other paths 404. */
export async function startRangeOrigin(path: string, body: Uint8Array): Promise<RangeOrigin> {
  const ranges = { on: true };
  const asked: string[] = [];
  const server = createServer((request, response) => {
    if (request.url !== path) return void response.writeHead(404).end();
    asked.push(request.headers.range ?? 'whole');
    const match = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
    if (!ranges.on || match === null) return void response.writeHead(200).end(body);
    const [first, last] = [Number(match[1]), Math.min(Number(match[2]), body.byteLength - 1)];
    response.writeHead(206, { 'content-range': `bytes ${first}-${last}/${body.byteLength}` });
    response.end(body.subarray(first, last + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, url: `${base}${path}`, ranges, asked, server };
}

/** An origin loader that answers every request 404 (a spot check then checks nothing). */
export function notFoundLoader(): Loader<FragmentLoaderContext> {
  const loader = {
    stats: newStats(),
    context: null,
    load: (context: FragmentLoaderContext, _config: unknown, callbacks: LoaderCallbacks<FragmentLoaderContext>) =>
      queueMicrotask(() => callbacks.onError({ code: 404, text: 'Not Found' }, context, null, loader.stats)),
    abort: () => undefined,
    destroy: () => undefined,
  };
  return loader;
}

/** hls.js's callbacks for one fragment, recording each call by name ('success', 'error 416'...). */
export function recordingCallbacks(): { calls: string[]; callbacks: LoaderCallbacks<FragmentLoaderContext> } {
  const calls: string[] = [];
  return {
    calls,
    callbacks: {
      onSuccess: () => calls.push('success'),
      onError: (error) => calls.push(`error ${error.code}`),
      onTimeout: () => calls.push('timeout'),
      onAbort: () => calls.push('abort'),
    },
  };
}

/**
 * Segment 7 (14 s, 2 s long) of http://origin.invalid/live/index.m3u8, in swarm 's'; `originLoader`
 * serves its other origin requests (spot checks).
 */
export function segmentSevenRequest(
  callbacks: LoaderCallbacks<FragmentLoaderContext>,
  originLoader: () => Loader<FragmentLoaderContext> = notFoundLoader,
): PeerLoadRequest {
  const context = {
    url: 'http://origin.invalid/live/seg_7.ts',
    responseType: 'arraybuffer',
    rangeStart: 0,
    rangeEnd: 0,
    part: null,
    frag: { sn: 7, level: 0, type: 'main', baseurl: 'http://origin.invalid/live/index.m3u8', start: 14, duration: 2 },
  } as unknown as FragmentLoaderContext;
  const config = {
    loadPolicy: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 30_000 },
  } as unknown as LoaderConfiguration;
  return {
    context,
    config,
    callbacks,
    segment: { swarmId: 's', sequenceNumber: 7 },
    startedAtMs: 0,
    originLoader,
    spotCheck: null,
  };
}
