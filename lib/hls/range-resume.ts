import type { FragmentLoaderContext, Loader, LoaderStats, NullableNetworkDetails } from 'hls.js';
import type { Engine } from '../engine/engine.ts';
import type { PartialSegment } from '../peer/peer-downloads.ts';
import type { RelaySource } from '../peer/relay-source.ts';
import { checkedSegmentOf, fragmentRange } from './fragment-swarm.ts';
import type { PeerLoadRequest } from './load-request.ts';
import { rangeFirstByte } from './content-range.ts';
import { paceSample } from './loader-stats.ts';

/** How a Range resume ended (reported once, never after `stop()`); timeouts and aborts go straight to hls.js. */
export type RangeResumeOutcome =
  /** The rest arrived and the whole segment passed the checks (`verified`: by hash); `stats` are the range request's. */
  | {
      readonly kind: 'resumed';
      readonly data: ArrayBuffer;
      readonly verified: boolean;
      /** Bytes of `data` that came from the peer. */
      readonly peerBytes: number;
      /** The peer answered for them (false: a relay's, cut before its last byte; see PartialSegment). */
      readonly peerVouched: boolean;
      readonly durationMs: number;
      readonly stats: LoaderStats;
      readonly networkDetails: NullableNetworkDetails;
    }
  /**
   * The origin did not honour the range (a 206 of another range, where its Content-Range can be
   * read), or refused it (an error: the size the peer declared may be wrong, e.g. 416); it still
   * sent `receivedBytes`. Load the whole segment (the peer is not blamed).
   */
  | { readonly kind: 'range-ignored'; readonly receivedBytes: number }
  /**
   * The origin ignored the range and sent the whole segment (HTTP 200, as a server without Range
   * support does): the origin's bytes, used as they came; the peer's are dropped, nobody is blamed.
   */
  | {
      readonly kind: 'sent-whole';
      readonly data: ArrayBuffer;
      readonly durationMs: number;
      readonly stats: LoaderStats;
      readonly networkDetails: NullableNetworkDetails;
    }
  /**
   * The peer's bytes plus the origin's rest failed a check (`problem`); the rest cost `restBytes`.
   * Only for bytes the peer vouched for: a relay's that fail are `unverifiable` (its source may be the forger).
   */
  | { readonly kind: 'corrupt'; readonly problem: string; readonly restBytes: number }
  /**
   * Nothing can vouch for the joined segment: load it whole over HTTP, blame nobody. `relayFault`:
   * a relay's unvouched bytes failed a check — a strike for the relay, not a ban (its source may be
   * the forger).
   */
  | { readonly kind: 'unverifiable'; readonly reason: string; readonly restBytes: number; readonly relayFault?: true };

/**
 * The peer delivered the first bytes (`partial`), then failed or was too slow: fetch only the rest
 * with an HTTP Range request through hls.js's own loader (`http`, already filling the fragment
 * loader's stats), join it to the peer's bytes and check the whole (part of it came from an
 * untrusted peer). A `relay` of the peer's bytes to our peers gets the rest once the whole passed
 * the checks, and fails otherwise. Starts at once; the returned `stop()` drops the outcome (the
 * fragment loader stops the HTTP loader itself).
 */
export function resumeOverRange(
  engine: Engine,
  request: PeerLoadRequest,
  http: Loader<FragmentLoaderContext>,
  partial: PartialSegment,
  onOutcome: (outcome: RangeResumeOutcome) => void,
  relay: RelaySource | null = null,
): { stop(): void } {
  let stopped = false;
  const { context, config, callbacks, segment } = request;
  // Where no hash can vouch for the peer's bytes, the origin is asked for a sample of them meanwhile.
  const spot = request.spotCheck?.(engine, request, partial.bytes.byteLength) ?? null;
  // The outcome is no joined segment: the sample is not needed, the relay gets no rest.
  const drop = (): void => {
    spot?.stop();
    relay?.fail();
  };
  const startMs = performance.now();
  const received = partial.bytes.byteLength;
  // An EXT-X-BYTERANGE segment starts `offset` bytes into its file; a 200 then is the whole file.
  const range = fragmentRange(context);
  const offset = range?.offset ?? 0;
  const join = async (rest: ArrayBuffer, stats: LoaderStats, networkDetails: NullableNetworkDetails): Promise<void> => {
    const whole = new Uint8Array(partial.totalBytes);
    whole.set(partial.bytes, 0);
    whole.set(new Uint8Array(rest), received);
    let verdict = await engine.segmentChecks.check(checkedSegmentOf(context, segment), whole.buffer);
    if (stopped) return;
    if (spot !== null) {
      verdict = await spot.weigh(verdict, whole.buffer);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by stop() during the await
      if (stopped) return;
    }
    if (verdict.kind === 'corrupt' && !partial.vouched) {
      relay?.fail();
      const reason = `unvouched relay bytes: ${verdict.problem}`;
      onOutcome({ kind: 'unverifiable', reason, restBytes: rest.byteLength, relayFault: true });
    } else if (verdict.kind !== 'pass') {
      relay?.fail();
      onOutcome({ ...verdict, restBytes: rest.byteLength });
    } else {
      // The engine confirms the relay once the segment is verified or appended.
      relay?.append(new Uint8Array(rest));
      onOutcome({
        kind: 'resumed',
        data: whole.buffer,
        verified: verdict.verified,
        peerBytes: received,
        peerVouched: partial.vouched,
        durationMs: performance.now() - startMs,
        stats,
        networkDetails,
      });
    }
  };
  // hls.js hears of its own context, not of the range asked for.
  http.load({ ...context, rangeStart: offset + received, rangeEnd: offset + partial.totalBytes }, config, {
    onSuccess: (response, stats, _context, networkDetails) => {
      // Every HTTP load measures HTTP's pace: a viewer whose HTTP loads are all Range resumes
      // would otherwise never know it, and "peer too late" could never fire.
      engine.httpPace.measured(paceSample(stats));
      const rest = response.data;
      // The rest as asked for (by its length: a custom loader may say 200 for a 206; and by its
      // Content-Range where readable: joined to the wrong bytes, an honest peer would be banned);
      // the checks judge the joined whole.
      const restAsAsked = (rangeFirstByte(networkDetails) ?? offset + received) === offset + received;
      if (rest instanceof ArrayBuffer && rest.byteLength === partial.totalBytes - received && restAsAsked) {
        void join(rest, stats, networkDetails);
      } else if (response.code === 200 && range === null && rest instanceof ArrayBuffer && rest.byteLength > 0) {
        drop();
        engine.segmentChecks.learnFromHttp(checkedSegmentOf(context, segment), rest);
        onOutcome({ kind: 'sent-whole', data: rest, durationMs: performance.now() - startMs, stats, networkDetails });
      } else {
        drop();
        onOutcome({ kind: 'range-ignored', receivedBytes: rest instanceof ArrayBuffer ? rest.byteLength : 0 });
      }
    },
    // The range rests on the size the peer declared: an error for it is no error of the segment's.
    // The whole segment over HTTP says whether the origin fails (then hls.js hears of that).
    onError: (_error, _context, _networkDetails, stats) => {
      drop();
      onOutcome({ kind: 'range-ignored', receivedBytes: stats.loaded });
    },
    onTimeout: (stats, _context, networkDetails) => {
      drop();
      callbacks.onTimeout(stats, context, networkDetails);
    },
    onAbort: (stats, _context, networkDetails) => {
      drop();
      callbacks.onAbort?.(stats, context, networkDetails);
    },
  });
  // Drop the outcome (abort, destroy); a relay of the segment fails.
  return {
    stop: () => {
      stopped = true;
      drop();
    },
  };
}
