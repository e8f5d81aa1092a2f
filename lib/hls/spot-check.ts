import type { FragmentLoaderContext, Loader, LoaderConfiguration } from 'hls.js';
import type { Engine } from '../engine/engine.ts';
import type { SegmentVerdict } from '../engine/segment-checks.ts';
import { newStats } from './loader-stats.ts';
import type { PeerLoadRequest } from './load-request.ts';
import { rangeFirstByte } from './content-range.ts';
import { fragmentRange } from './fragment-swarm.ts';

/** The longest the origin's answer to a spot check is waited for; none by then: the bytes go unchecked. */
export const SPOT_CHECK_MAX_MS = 1500;
// The origin is not asked later than this before the segment plays (it must still reach hls.js in time).
const SPOT_CHECK_MARGIN_MS = 500;

// Engines whose origin answered a spot check with the whole segment (no Range support): not asked
// again, each would cost a segment.
const rangeless = new WeakSet<Engine>();

/**
 * Bytes one spot check reads from the origin: about 1/2048 of the part peers sent (~250 B of a
 * 500-KB segment), at least 16, at most 1 KiB. One window anywhere in the peers' bytes catches a
 * forgery — another segment's bytes, a made-up one with plausible timestamps, a garbled payload in
 * valid packets all differ from the origin's nearly everywhere — so its size hardly matters.
 */
export function spotWindowBytes(peerBytes: number): number {
  return Math.min(peerBytes, Math.max(16, Math.min(1024, Math.ceil(peerBytes / 2048))));
}

/** `spotCheck`'s shape: passed to `new PeerCDN(config, { spotCheck })`, it is only in builds that import it. */
export type SpotCheckStarter = (engine: Engine, request: PeerLoadRequest, peerBytes: number) => SpotCheck | null;

/** A spot check under way: the origin was asked for its window of the segment. */
export interface SpotCheck {
  /** What is wrong with `data` (the segment as peers sent it), once the origin answered; null: it matches, or no answer. */
  judge(data: ArrayBuffer): Promise<string | null>;
  /**
   * The segment checks' `verdict` on `data` with the origin's sample weighed in: a pass that no hash
   * vouched for becomes `corrupt` when the window differs; any other verdict stands (and the check stops).
   */
  weigh(verdict: SegmentVerdict, data: ArrayBuffer): Promise<SegmentVerdict>;
  /** Stop asking (the load ended otherwise). */
  stop(): void;
}

/**
 * Ask the origin for a random window of a segment's first `peerBytes` bytes — those peers send, when
 * no hash manifest can vouch for them — through the site's own loader (`request.originLoader`: its
 * headers, signed URLs and origins apply), with an HTTP Range request sent while the peers' bytes
 * are still arriving; `judge` compares them. A peer that sends anything but the origin's bytes is
 * caught before hls.js gets them, unless it changed so few that the window misses them (a glitch,
 * not a forged picture). No usable answer in time (an error, a timeout, a whole segment instead of
 * the range) leaves the bytes unchecked, as they were without this check. Null when there is nothing
 * to check or no time to ask.
 */
export function spotCheck(engine: Engine, request: PeerLoadRequest, peerBytes: number): SpotCheck | null {
  const secondsUntilNeeded = engine.playback.secondsUntil(request.context.frag.start);
  const budgetMs = Math.min(
    SPOT_CHECK_MAX_MS,
    secondsUntilNeeded === null ? Infinity : secondsUntilNeeded * 1000 - SPOT_CHECK_MARGIN_MS,
  );
  if (!engine.config.originSpotChecks || !(peerBytes > 0) || budgetMs <= 0 || rangeless.has(engine)) return null;
  if (engine.segmentChecks.hashesAt(request.context.frag.baseurl)) return null;
  const windowBytes = spotWindowBytes(peerBytes);
  const offset = Math.floor(engine.dependencies.random() * (peerBytes - windowBytes + 1));
  let http: Loader<FragmentLoaderContext>;
  try {
    http = request.originLoader();
  } catch {
    // A loader that cannot be made leaves the bytes unchecked.
    return null;
  }
  // Its own stats: hls.js never hears of this load.
  http.stats = newStats();
  let done = false;
  let answer: (window: Uint8Array | null) => void = () => undefined;
  const window = new Promise<Uint8Array | null>((resolve) => (answer = resolve));
  const settle = (bytes: Uint8Array | null): void => {
    if (done) return;
    done = true;
    // Not inside the loader's own callback.
    queueMicrotask(() => http.destroy());
    answer(bytes);
  };
  const { loadPolicy } = request.config;
  const limits = { maxTimeToFirstByteMs: budgetMs, maxLoadTimeMs: budgetMs, timeoutRetry: null, errorRetry: null };
  const config = { ...request.config, loadPolicy: { ...loadPolicy, ...limits } } as LoaderConfiguration;
  // Offsets in the segment; an EXT-X-BYTERANGE segment starts `base` bytes into its file.
  const base = fragmentRange(request.context)?.offset ?? 0;
  const context: FragmentLoaderContext = {
    ...request.context,
    rangeStart: base + offset,
    rangeEnd: base + offset + windowBytes,
  };
  // A loader that throws fails the spot check only: the load goes on unchecked.
  try {
    http.load(context, config, {
      onSuccess: (response, stats, _context, networkDetails) => {
        engine.httpBytesLoaded(stats.loaded);
        const bytes = response.data;
        const asAsked =
          bytes instanceof ArrayBuffer &&
          bytes.byteLength === windowBytes &&
          (rangeFirstByte(networkDetails) ?? base + offset) === base + offset;
        // A 200 longer than the window: the origin ignores ranges (another answer proves nothing:
        // the size peers declared may be wrong).
        if (!asAsked && response.code === 200 && bytes instanceof ArrayBuffer && bytes.byteLength > windowBytes)
          rangeless.add(engine);
        settle(asAsked ? new Uint8Array(bytes) : null);
      },
      onError: (_error, _context, _details, stats) => {
        engine.httpBytesLoaded(stats.loaded);
        settle(null);
      },
      onTimeout: (stats) => {
        engine.httpBytesLoaded(stats.loaded);
        settle(null);
      },
    });
  } catch {
    settle(null);
  }
  const judge = async (data: ArrayBuffer): Promise<string | null> => {
    const origin = await window;
    if (origin === null || offset + windowBytes > data.byteLength) return null;
    const sent = new Uint8Array(data, offset, windowBytes);
    return origin.some((byte, i) => byte !== sent[i])
      ? `origin spot check: bytes ${offset}-${offset + windowBytes - 1} differ from the origin's`
      : null;
  };
  const stop = (): void => {
    if (!done) http.abort();
    settle(null);
  };
  return {
    judge,
    weigh: async (verdict, data) => {
      if (verdict.kind !== 'pass' || verdict.verified) {
        stop();
        return verdict;
      }
      const problem = await judge(data);
      return problem === null ? verdict : { kind: 'corrupt', problem };
    },
    stop,
  };
}
