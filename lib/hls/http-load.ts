import type { FragmentLoaderContext, Loader } from 'hls.js';
import type { Engine } from '../engine/engine.ts';
import { checkedSegmentOf, fragmentRange } from './fragment-swarm.ts';
import { HttpChunks } from './http-chunks.ts';
import type { LoadRequest } from './load-request.ts';
import { paceSample } from './loader-stats.ts';

/**
 * One HTTP load of a fragment through hls.js's own loader (`http`, already filling the fragment
 * loader's stats): HTTP's pace is measured, a segment is handed to the engine (cached, announced,
 * counted), and hls.js hears the loader's own callbacks. A segment's bytes are followed as they
 * arrive (the returned `HttpChunks`, null for what peers never carry): a streaming loader's chunks
 * are relayed to our peers meanwhile and joined at its empty end; its `stop()` ends the relay when
 * the fragment loader aborts (it stops the HTTP loader itself). `onSucceeded` runs first on success.
 */
export function loadOverHttp(
  engine: Engine,
  request: LoadRequest,
  http: Loader<FragmentLoaderContext>,
  onSucceeded: () => void,
): HttpChunks | null {
  const { context, config, callbacks, segment } = request;
  const startMs = performance.now();
  // An origin that ignored an EXT-X-BYTERANGE segment's Range sends more (the file): not the
  // segment as peers know it, so neither relayed nor cached (hls.js still gets what came).
  const range = fragmentRange(context);
  const asRanged = (bytes: number): boolean => range === null || bytes === range.length;
  const chunks =
    segment === null
      ? null
      : new HttpChunks((totalBytes) =>
          asRanged(totalBytes) ? engine.beginRelay(segment.swarmId, segment.sequenceNumber, totalBytes) : null,
        );
  const stopping =
    <A extends unknown[]>(report: (...args: A) => void) =>
    (...args: A): void => {
      chunks?.stop();
      report(...args);
    };
  http.load(context, config, {
    ...callbacks,
    // Asking for progress makes a streaming loader stream (its success then carries no data).
    ...(chunks === null
      ? {}
      : {
          onProgress: (stats, ctx, data, networkDetails) => {
            if (data instanceof ArrayBuffer)
              chunks.add(data, stats.loaded, stats.total, callbacks.onProgress !== undefined);
            callbacks.onProgress?.(stats, ctx, data, networkDetails);
          },
        }),
    onError: stopping(callbacks.onError),
    onTimeout: stopping(callbacks.onTimeout),
    ...(callbacks.onAbort === undefined ? {} : { onAbort: stopping(callbacks.onAbort) }),
    onSuccess: (response, stats, ctx, networkDetails) => {
      onSucceeded();
      const data =
        chunks !== null && response.data instanceof ArrayBuffer ? chunks.whole(response.data) : response.data;
      chunks?.loadSucceeded();
      engine.httpPace.measured(paceSample(stats));
      if (data instanceof ArrayBuffer) {
        if (segment !== null && data.byteLength > 0 && asRanged(data.byteLength) && !engine.destroyed) {
          engine.segmentChecks.learnFromHttp(checkedSegmentOf(ctx, segment), data);
          engine.segmentLoaded({
            ...segment,
            source: 'http',
            data,
            durationMs: performance.now() - startMs,
            peerId: null,
            startSeconds: ctx.frag.start,
            durationSeconds: ctx.frag.duration,
          });
        } else {
          // hls.js's own streaming hands it the bytes as they came and ends with no data.
          const bytes = data.byteLength || stats.loaded;
          engine.httpBytesLoaded(bytes);
          // HTTP only: still the typical segment size (the origins' hedge delay reads it). An LL-HLS
          // part is not a segment: its size would make HTTP look fast enough to wait longer for peers.
          if (typeof ctx.frag.sn === 'number' && ctx.part === null)
            engine.httpPace.segmentSeen(bytes, ctx.frag.duration);
        }
      }
      // hls.js took a streamed fragment through onProgress if it asked for it; else it wants it whole.
      callbacks.onSuccess(
        callbacks.onProgress === undefined ? { ...response, data } : response,
        stats,
        ctx,
        networkDetails,
      );
    },
  });
  return chunks;
}
