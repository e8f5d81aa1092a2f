// Which peer to download a segment from, and which connected peer to give up for a new one.
// Pure functions of what the links measured, so the rules are tested directly.

/** What peer choice knows of one peer that has the segment. */
export interface PeerCandidate {
  readonly peerId: string;
  readonly activeDownloads: number;
  /** Smoothed time from our request to the peer's response header; null until measured. */
  readonly rttMs?: number | null;
  /** Smoothed bytes per second of past downloads from this peer; null until measured. */
  readonly throughputBytesPerSecond?: number | null;
  /** The peer told a region hint other than ours (unverified: a prior until its RTT is measured). */
  readonly farRegion?: boolean;
}

/** Segment size peers are compared at when the real size is not known yet (2 s at ~2 Mb/s). */
export const EXPECTED_SEGMENT_BYTES = 512 * 1024;
// Priors used only when no candidate has been measured: then all unmeasured peers score alike
// and active downloads decide, so these values only need to be plausible.
const DEFAULT_RTT_MS = 50;
const DEFAULT_THROUGHPUT_BYTES_PER_SECOND = 1_000_000;
const MIN_THROUGHPUT_BYTES_PER_SECOND = 1;
// An unmeasured peer is assumed this much nearer than the best measured one, so that it wins a
// tie and gets measured once (ties go to the earlier candidate).
const UNMEASURED_EDGE_MS = 1;
// An unmeasured peer of another region is assumed this much further than the prior: the round trip
// between regions, so it is not tried while a near peer delivers (issue 15: with the median prior,
// a near newcomer lost to far peers whose bursty transfers measured fast, and was never tried).
export const FAR_REGION_PRIOR_MS = 100;
/** Weight of a new sample in the smoothed RTT and throughput of a peer. */
export const EWMA_WEIGHT = 0.3;

/** Exponentially weighted moving average: the first sample is taken as is; non-finite samples are ignored. */
export function ewma(previous: number | null, sample: number, weight = EWMA_WEIGHT): number | null {
  if (!Number.isFinite(sample) || sample < 0) return previous;
  return previous === null ? sample : previous + weight * (sample - previous);
}

/** What an unmeasured peer is assumed to offer: the best RTT and throughput measured among the candidates. */
export interface PeerPrior {
  readonly rttMs: number;
  readonly throughputBytesPerSecond: number;
}

export function peerPrior(candidates: readonly PeerCandidate[]): PeerPrior {
  let rttMs = Infinity;
  let throughputBytesPerSecond = 0;
  for (const peer of candidates) {
    rttMs = Math.min(rttMs, peer.rttMs ?? Infinity);
    throughputBytesPerSecond = Math.max(throughputBytesPerSecond, peer.throughputBytesPerSecond ?? 0);
  }
  return {
    rttMs: rttMs < Infinity ? rttMs : DEFAULT_RTT_MS,
    throughputBytesPerSecond: throughputBytesPerSecond || DEFAULT_THROUGHPUT_BYTES_PER_SECOND,
  };
}

/**
 * How long a peer is expected to take to deliver `expectedBytes`: its RTT plus the transfer at its
 * measured throughput, shared with the downloads already running from it (they split its uplink).
 */
export function expectedDeliveryMs(
  peer: PeerCandidate,
  prior: PeerPrior,
  expectedBytes: number = EXPECTED_SEGMENT_BYTES,
): number {
  const rttMs = peer.rttMs ?? prior.rttMs - UNMEASURED_EDGE_MS + (peer.farRegion ? FAR_REGION_PRIOR_MS : 0);
  const throughput = Math.max(
    peer.throughputBytesPerSecond ?? prior.throughputBytesPerSecond,
    MIN_THROUGHPUT_BYTES_PER_SECOND,
  );
  return rttMs + (expectedBytes * (peer.activeDownloads + 1) * 1000) / throughput;
}

/**
 * The peer expected to deliver the segment soonest, among peers that have it. Unmeasured peers
 * get the best measured RTT and throughput as a prior (a hair nearer), so a new peer is tried
 * once, unless it told another region (then the prior is a cross-region round trip further).
 * Ties go to the earlier candidate.
 * @example choosePeer(views.filter((view) => view.has))?.peerId
 */
export function choosePeer<T extends PeerCandidate>(
  candidates: readonly T[],
  expectedBytes: number = EXPECTED_SEGMENT_BYTES,
): T | undefined {
  const prior = peerPrior(candidates);
  let best: T | undefined;
  let bestMs = Infinity;
  for (const peer of candidates) {
    const deliveryMs = expectedDeliveryMs(peer, prior, expectedBytes);
    if (best === undefined || deliveryMs < bestMs) {
      best = peer;
      bestMs = deliveryMs;
    }
  }
  return best;
}

/** What the swarm knows of a connected peer when it looks for one to replace. */
export interface PeerUsefulness {
  readonly peerId: string;
  readonly connectedForMs: number;
  /** Segment bytes this peer has delivered to us. */
  readonly receivedBytes: number;
  /** Segment bytes we have sent to this peer. */
  readonly sentBytes: number;
  readonly activeDownloads: number;
  /** The peer has, or is fetching, a segment we do not hold. */
  readonly offersWanted: boolean;
  /** Measured round trip (null until measured) and region hint, as for `choosePeer`: far ones go first. */
  readonly rttMs?: number | null;
  readonly farRegion?: boolean;
}

// A peer offering only segments further than this past the newest we hold may be replaced when useless.
const WANTED_AHEAD_SEGMENTS = 64;

/**
 * Whether a peer's claims (segments it has, fetches or relays) include one we lack, up to
 * WANTED_AHEAD_SEGMENTS past the newest we hold: a claim far beyond (segment 10^15) is no reason to
 * keep a peer that never sends anything. Holding nothing yet, every claim counts.
 */
export function offersWanted(claims: readonly Iterable<number>[], held: ReadonlySet<number>): boolean {
  let newest = -1;
  for (const sn of held) newest = Math.max(newest, sn);
  const horizon = newest < 0 ? Infinity : newest + WANTED_AHEAD_SEGMENTS;
  for (const claimed of claims) for (const sn of claimed) if (sn <= horizon && !held.has(sn)) return true;
  return false;
}

/** A peer gets this long to prove useful before it may be replaced. */
export const USELESS_AFTER_MS = 30_000;

/**
 * A peer that has been connected a while, never delivered anything, is not delivering now and
 * has nothing we lack. A peer we upload to is kept: it is useful to the swarm, which would
 * otherwise send it to the origin.
 */
export function isUseless(peer: PeerUsefulness, uselessAfterMs: number = USELESS_AFTER_MS): boolean {
  return (
    peer.connectedForMs >= uselessAfterMs &&
    peer.receivedBytes === 0 &&
    peer.sentBytes === 0 &&
    peer.activeDownloads === 0 &&
    !peer.offersWanted
  );
}

/** A peer's round trip as peer choice assumes it: measured, else the prior, a region further for another region. */
const distanceMs = (peer: PeerUsefulness): number =>
  peer.rttMs ?? DEFAULT_RTT_MS + (peer.farRegion ? FAR_REGION_PRIOR_MS : 0);

/**
 * The peer to drop for a new one when the connection cap is reached, among the useless: the
 * farthest (issue 15: near peers are kept), then the longest-useless; null when none is useless.
 */
export function choosePeerToReplace(
  peers: readonly PeerUsefulness[],
  uselessAfterMs: number = USELESS_AFTER_MS,
): string | null {
  let chosen: PeerUsefulness | null = null;
  for (const peer of peers) {
    if (
      isUseless(peer, uselessAfterMs) &&
      (chosen === null || (distanceMs(peer) - distanceMs(chosen) || peer.connectedForMs - chosen.connectedForMs) > 0)
    )
      chosen = peer;
  }
  return chosen?.peerId ?? null;
}
