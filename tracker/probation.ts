// When a new peer's re-announce restarts its probation: the tracker's rule for telling floods from
// browsers among peers it does not know yet (pure, no clock of its own).
import type { AnnounceEvent } from './protocol.ts';
import type { SwarmPeer } from './swarm.ts';

/** A new peer announcing again sooner than this after its last announce is re-announcing quickly. */
export const RESTLESS_REANNOUNCE_MS = 1000;
/**
 * Quick re-announces a new peer may make before its probation starts again (not offered meanwhile).
 * One: an honest client may send two announces at once — WebTorrent seeding a finished torrent sends
 * `completed` and then `started` with its offers — while a flood sends many.
 */
export const QUICK_REANNOUNCES_ALLOWED = 1;

/**
 * Count a member's re-announce at `nowMs` (before its `lastAnnounceMs` moves); true when it is one
 * quick re-announce too many during its probation. `completed` is news, never counted.
 */
export function reannounceRestartsProbation(peer: SwarmPeer, event: AnnounceEvent, nowMs: number): boolean {
  if (nowMs >= peer.probationEndsMs || nowMs - peer.lastAnnounceMs >= RESTLESS_REANNOUNCE_MS || event === 'completed')
    return false;
  peer.quickReannounces += 1;
  return peer.quickReannounces > QUICK_REANNOUNCES_ALLOWED;
}
