import type { P2PError } from './errors.ts';

/** Where a segment's bytes came from. */
export type SegmentSource = 'http' | 'peer' | 'cache';

/** A segment handed to hls.js. */
export interface SegmentLoadedEvent {
  readonly source: SegmentSource;
  readonly swarmId: string;
  readonly sequenceNumber: number;
  readonly byteLength: number;
  readonly durationMs: number;
  /** The peer that served it, when `source` is `'peer'`. */
  readonly peerId: string | null;
}

export interface PeerEvent {
  readonly swarmId: string;
  readonly peerId: string;
}

export interface PeerClosedEvent extends PeerEvent {
  readonly error: P2PError | null;
}

/** A peer banned for the rest of the session (it sent a bad segment); its id is refused from then on. */
export interface PeerBannedEvent extends PeerEvent {
  readonly reason: string;
}

/** Every event a PeerCDN instance emits, by name. */
export interface PeerCDNEvents {
  'segment-loaded': SegmentLoadedEvent;
  'peer-connected': PeerEvent;
  'peer-closed': PeerClosedEvent;
  'peer-banned': PeerBannedEvent;
  /** A peer or tracker failure; playback continues over HTTP. */
  error: P2PError;
}

/** Counters since the instance was created. */
export interface PeerCDNStats {
  readonly httpBytes: number;
  readonly p2pBytes: number;
  readonly uploadedBytes: number;
  readonly cacheHitBytes: number;
  readonly segmentsFromHttp: number;
  readonly segmentsFromPeers: number;
  readonly segmentsFromCache: number;
  /** Peer downloads that failed or timed out and were retried over HTTP. */
  readonly peerFallbacks: number;
  /** Segments (partly) from peers whose SHA-256 matched the hash manifest. */
  readonly segmentsVerified: number;
  /** Segments from peers rejected as corrupt (a failed check, or hls.js failed on an unverified one); each banned its sender. */
  readonly segmentsRejected: number;
  /** Peers banned for the session. */
  readonly bannedPeers: number;
  /** Connections refused because the peer was banned (it came back under the same id). */
  readonly bannedPeerRefusals: number;
  readonly connectedPeers: number;
  readonly swarms: number;
  readonly cacheBytes: number;
}

/** One connected peer, as `PeerCDN.peers()` reports it. */
export interface PeerInfo {
  readonly swarmId: string;
  readonly peerId: string;
  /** Segments the peer announced it can serve. */
  readonly segmentsAvailable: number;
  /** The sequence number the peer most recently announced or requested; null before any. */
  readonly latestSequenceNumber: number | null;
  readonly activeDownloads: number;
  /** Segment bytes received from this peer so far, transfers in progress included. */
  readonly receivedBytes: number;
}
