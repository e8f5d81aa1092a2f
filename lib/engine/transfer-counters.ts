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

/** The running counts of one instance behind `stats()`: bytes and segments by source, fallbacks, checks. */
export type TransferCounters = { -readonly [Key in CountedKey]: PeerCDNStats[Key] };

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
  };
}

/**
 * Count a segment handed to hls.js by where its bytes came from. A segment resumed over HTTP
 * after a peer failed counts as one from HTTP whose first `peerBytes` came from the peer.
 */
export function countSegment(
  counters: TransferCounters,
  source: SegmentSource,
  bytes: number,
  peerBytes: number,
): void {
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
