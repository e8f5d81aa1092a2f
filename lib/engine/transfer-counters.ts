import type { PeerCDNStats, SegmentSource } from '../api/events.ts';

type CountedKey =
  | 'httpBytes'
  | 'p2pBytes'
  | 'uploadedBytes'
  | 'cacheHitBytes'
  | 'segmentsFromHttp'
  | 'segmentsFromPeers'
  | 'segmentsFromCache'
  | 'peerFallbacks'
  | 'segmentsVerified'
  | 'segmentsRejected';

/** Regions counted apart in `p2pBytesByRegion`; bytes of further ones count under `'*'` (no region name). */
export const MAX_COUNTED_REGIONS = 32;

/** The running counts of one instance behind `stats()`: bytes and segments by source, fallbacks, checks. */
export type TransferCounters = { -readonly [Key in CountedKey]: PeerCDNStats[Key] } & {
  /**
   * Peer bytes by the sender's region ('' for none). Keys are peer-supplied: no prototype, so
   * "__proto__" is just a key; at most MAX_COUNTED_REGIONS of them, then `'*'` (a peer may claim a
   * new region on each connection: the map and each `stats()` copy stay bounded).
   */
  readonly p2pBytesByRegion: Record<string, number>;
};

export function newTransferCounters(): TransferCounters {
  return {
    httpBytes: 0,
    p2pBytes: 0,
    uploadedBytes: 0,
    cacheHitBytes: 0,
    segmentsFromHttp: 0,
    segmentsFromPeers: 0,
    segmentsFromCache: 0,
    peerFallbacks: 0,
    segmentsVerified: 0,
    segmentsRejected: 0,
    p2pBytesByRegion: Object.create(null) as Record<string, number>,
  };
}

/**
 * Count a segment handed to hls.js by where its bytes came from. A segment resumed over HTTP
 * after a peer failed counts as one from HTTP whose first `peerBytes` came from the peer. The
 * peer's bytes also count under its region (`peerRegion`, null when no peer sent any).
 */
export function countSegment(
  counters: TransferCounters,
  source: SegmentSource,
  bytes: number,
  peerBytes: number,
  peerRegion: string | null = null,
): void {
  const byRegion = counters.p2pBytesByRegion;
  if (peerRegion !== null) {
    const key = peerRegion in byRegion || Object.keys(byRegion).length < MAX_COUNTED_REGIONS ? peerRegion : '*';
    byRegion[key] = (byRegion[key] ?? 0) + (source === 'peer' ? bytes : peerBytes);
  }
  if (source === 'http') {
    counters.httpBytes += bytes - peerBytes;
    counters.p2pBytes += peerBytes;
    counters.segmentsFromHttp += 1;
  } else if (source === 'peer') {
    counters.p2pBytes += bytes;
    counters.segmentsFromPeers += 1;
  } else {
    counters.cacheHitBytes += bytes;
    counters.segmentsFromCache += 1;
  }
}
