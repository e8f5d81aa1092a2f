import { P2PError } from '../api/errors.ts';
import type { Engine } from '../engine/engine.ts';
import type { SegmentId } from './load-request.ts';

/** A peer's segment that failed a check, or that nothing could vouch for. */
export type DroppedSegment =
  | { readonly kind: 'corrupt'; readonly problem: string }
  | { readonly kind: 'unverifiable'; readonly reason: string };

/**
 * Report a peer's segment that is dropped (the whole segment then comes over HTTP): one that failed
 * a check bans its sender; one nothing could vouch for (a lagging or unreadable manifest, hashes
 * required and missing) blames nobody. Either way an `error` event, counted as a peer fallback.
 */
export function reportDropped(engine: Engine, segment: SegmentId, peerId: string, verdict: DroppedSegment): void {
  const { swarmId, sequenceNumber } = segment;
  let error: P2PError;
  if (verdict.kind === 'corrupt') {
    error = new P2PError(
      'segment-corrupt',
      `peer ${peerId} sent segment ${sequenceNumber} corrupt (${verdict.problem})`,
    );
    engine.banPeer(swarmId, peerId, error);
  } else
    error = new P2PError(
      'segment-unverifiable',
      `segment ${sequenceNumber} from peer ${peerId} cannot be verified (${verdict.reason})`,
    );
  engine.peerFallback(error);
}
