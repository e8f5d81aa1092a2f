import type { P2PError } from './errors.ts';

/** Where a segment's bytes came from. */
export type SegmentSource = 'http' | 'peer' | 'cache';

/** A segment handed to hls.js. */
export interface SegmentLoadedEvent {
  /** Where its bytes came from. */
  readonly source: SegmentSource;
  /** The swarm (one per rendition) it belongs to. */
  readonly swarmId: string;
  /** Its media sequence number. */
  readonly sequenceNumber: number;
  /** Its size in bytes. */
  readonly byteLength: number;
  /** How long its transfer took (for a cache hit: its original transfer). */
  readonly durationMs: number;
  /** The peer that served it, when `source` is `'peer'`. */
  readonly peerId: string | null;
}

/** A peer connected in one swarm. */
export interface PeerEvent {
  /** The swarm (rendition) the connection belongs to. */
  readonly swarmId: string;
  /** The remote viewer's peer id. */
  readonly peerId: string;
}

/** A peer connection closed. */
export interface PeerClosedEvent extends PeerEvent {
  /** Why, when it failed; null when it closed normally. */
  readonly error: P2PError | null;
}

/** A peer banned for the rest of the session (it sent a bad segment, or broke too many promises); its id is refused from then on. */
export interface PeerBannedEvent extends PeerEvent {
  /** What the peer did. */
  readonly reason: string;
}

/** An origin (see the `origins` setting) left rotation or came back. */
export interface OriginStateEvent {
  /** The origin's `baseUrl`. */
  readonly baseUrl: string;
  /** Whether it is in rotation now. */
  readonly up: boolean;
  /** Why: a failed request (`error`: HTTP error or refused; `timeout`), 404s for several requests in a row (`not-found`), far slower than the others (`slow`), or a good transfer (`recovered`). */
  readonly reason: 'error' | 'timeout' | 'not-found' | 'slow' | 'recovered';
  /** When down: how long until it is probed again. */
  readonly retryInMs: number;
}

/** One configured origin, as `PeerCDN.origins()` reports it. */
export interface OriginInfo {
  /** The origin's `baseUrl`. */
  readonly baseUrl: string;
  /** Its configured weight. */
  readonly weight: number;
  /** Whether it is in rotation (not backing off). */
  readonly up: boolean;
  /** Bytes it delivered (segments and playlists, hedges' losers and failed requests included). */
  readonly bytes: number;
  /** Requests sent to it. */
  readonly requests: number;
  /** Requests that failed (HTTP error, refused connection, timeout). */
  readonly errors: number;
  /** Smoothed time to first byte of its transfers; null before one. */
  readonly latencyMs: number | null;
}

/** Every event a PeerCDN instance emits, by name. */
export interface PeerCDNEvents {
  /** A segment was handed to hls.js. */
  'segment-loaded': SegmentLoadedEvent;
  /** A data channel to another viewer opened. */
  'peer-connected': PeerEvent;
  /** A data channel to another viewer closed. */
  'peer-closed': PeerClosedEvent;
  /** A peer was banned for the session. */
  'peer-banned': PeerBannedEvent;
  /** An origin left rotation or came back (`origins` setting). */
  'origin-state': OriginStateEvent;
  /** A peer or tracker failure; playback continues over HTTP. */
  error: P2PError;
}

/** Counters since the instance was created. */
export interface PeerCDNStats {
  /** Segment bytes loaded from the origin. */
  readonly httpBytes: number;
  /** Segment bytes received from peers. */
  readonly p2pBytes: number;
  /** `p2pBytes` by the sender's region hint (`''`: peers without one; after 32 regions, `'*'`: the rest). */
  readonly p2pBytesByRegion: Readonly<Record<string, number>>;
  /** Segment bytes sent to peers. */
  readonly uploadedBytes: number;
  /** Segment bytes handed to hls.js again from memory. */
  readonly cacheHitBytes: number;
  /** Segments loaded from the origin. */
  readonly segmentsFromHttp: number;
  /** Segments received from peers. */
  readonly segmentsFromPeers: number;
  /** Segments handed to hls.js again from memory. */
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
  /** Promises peers broke (timeouts, too-slow transfers, `have`/`loading` claims not kept); enough from one peer ignore, then ban it. */
  readonly peerStrikes: number;
  /** This viewer's uplink as its uploads measured it, at most `uploadMaxBytesPerSecond` (bytes/s); null while neither is known, or with `uploadBacklogMs: null`. */
  readonly uplinkBytesPerSecond: number | null;
  /** Peers' requests answered `busy`: the uploads already accepted filled the uplink (`uploadBacklogMs`). */
  readonly busyAnswers: number;
  /** Distinct remote viewers connected in any swarm (a peer met in two renditions counts once). */
  readonly connectedPeers: number;
  /** Swarms joined (one per rendition played). */
  readonly swarms: number;
  /** Bytes of segments held in memory now. */
  readonly cacheBytes: number;
}

/** One remote viewer this viewer is connected to, in one swarm or several, as `PeerCDN.peers()` reports it. */
export interface PeerInfo {
  /** The remote viewer's peer id. */
  readonly peerId: string;
  /** Segment bytes received from this peer so far over all swarms, transfers in progress included. */
  readonly receivedBytes: number;
  /** Segment bytes sent to this peer so far over all swarms. */
  readonly sentBytes: number;
  /** Downloads from this peer in progress, all swarms together. */
  readonly activeDownloads: number;
  /** Time since the oldest open connection to this peer. */
  readonly connectedForMs: number;
  /** One entry per swarm (rendition) in which the two viewers are connected. */
  readonly swarms: readonly PeerSwarmInfo[];
}

/** A peer's connection in one swarm (rendition). */
export interface PeerSwarmInfo {
  /** The swarm (rendition) of this connection. */
  readonly swarmId: string;
  /** Segments the peer announced it can serve. */
  readonly segmentsAvailable: number;
  /** The sequence number the peer most recently announced or requested; null before any. */
  readonly latestSequenceNumber: number | null;
  /** Downloads from this peer in progress. */
  readonly activeDownloads: number;
  /** Segment bytes received from this peer in this swarm, transfers in progress included. */
  readonly receivedBytes: number;
  /** Segment bytes sent to this peer in this swarm. */
  readonly sentBytes: number;
  /** Time since this connection opened. */
  readonly connectedForMs: number;
}
