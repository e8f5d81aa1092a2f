// The load request of segment 7 of a live 180p stream that unit tests hand to `resumeOverRange`,
// with hls.js callbacks that record what hls.js would hear.
import type { FragmentLoaderContext, Loader, LoaderCallbacks, LoaderConfiguration } from 'hls.js';
import type { PeerLoadRequest } from '../../lib/hls/load-request.ts';
import { newStats } from '../../lib/hls/loader-stats.ts';

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
