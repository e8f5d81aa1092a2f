import type { DataChannelPeer } from '../peer/peer-link.ts';

/** A data-channel peer as bittorrent-tracker's client emits it (connected later, or never). */
export interface SignalledPeer extends DataChannelPeer {
  /** Remote peer id in hex, set by bittorrent-tracker's client. */
  id?: string;
  /** Whether this side made the offer (simple-peer's flag). */
  readonly initiator?: boolean;
  readonly destroyed: boolean;
  once(event: 'connect' | 'close', listener: () => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
}

/** Announce parameters bittorrent-tracker's client asks for before every announce. */
export interface AnnounceParameters {
  readonly numwant: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
}

export interface TrackerClientOptions {
  readonly infoHashHex: string;
  readonly peerIdHex: string;
  readonly announceUrls: readonly string[];
  readonly rtcConfig: RTCConfiguration;
  readonly getAnnounceParameters: () => AnnounceParameters;
  /**
   * Whether an offer relayed from this remote peer id (as text) may cost a connection now; the
   * client drops one refused before creating its peer (an RTCPeerConnection). Absent: all may.
   */
  readonly acceptsOffer?: (offererId: string) => boolean;
}

/** A tracker's answer to an announce: swarm members, this viewer included. */
export interface TrackerUpdate {
  /** The tracker that answered. */
  readonly announce?: string;
  readonly complete: number;
  readonly incomplete: number;
}

/** The part of bittorrent-tracker's client a swarm uses. */
export interface TrackerClient {
  on(event: 'peer', listener: (peer: SignalledPeer) => void): unknown;
  on(event: 'update', listener: (update: TrackerUpdate) => void): unknown;
  on(event: 'warning' | 'error', listener: (error: Error) => void): unknown;
  start(): void;
  /** Announce again now (with offers), outside the tracker's interval; clients without it wait for the interval. */
  reannounce?(): void;
  destroy(): void;
}

/** Builds a tracker client; the default one wraps bittorrent-tracker, tests may pass a Node WebRTC one. */
export type TrackerClientFactory = (options: TrackerClientOptions) => TrackerClient;
