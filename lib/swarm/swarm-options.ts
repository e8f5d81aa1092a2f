// What a swarm needs from the engine: its identity, limits, the tracker client factory, the shared
// records and budgets, and the callbacks it reports through.
import type { P2PError } from '../api/errors.ts';
import type { ReceiveBudget } from '../peer/peer-limits.ts';
import type { UploadPacer } from '../peer/peer-uploads.ts';
import type { RelaySource } from '../peer/relay-source.ts';
import type { UplinkAdmission } from '../peer/uplink-admission.ts';
import type { PeerRecords } from './peer-records.ts';
import type { TrackerClientFactory } from './tracker-client.ts';

/** What a swarm needs from the engine. */
export interface SwarmOptions {
  readonly swarmId: string;
  readonly peerId: string;
  readonly trackerUrls: readonly string[];
  /** This viewer's region hint (told to peers, and to the tracker in its URLs); none by default. */
  readonly region?: string | null;
  readonly iceServers: readonly RTCIceServer[];
  readonly maxPeers: number;
  readonly offersPerAnnounce: number;
  /** A signalled peer that does not connect within this time is dropped (default 20 s). */
  readonly connectTimeoutMs?: number;
  readonly createTrackerClient: TrackerClientFactory;
  /** The session's records of remote peers: a banned peer id is refused whenever it connects. */
  readonly peerRecords: PeerRecords;
  /** Segments of this swarm held locally and allowed to be uploaded. */
  readonly heldSequenceNumbers: () => readonly number[];
  readonly getSegment: (sequenceNumber: number) => ArrayBuffer | undefined;
  /** A segment of this swarm being received from a peer and relayed while it arrives. */
  readonly getRelay?: (sequenceNumber: number) => RelaySource | undefined;
  readonly transferredBytes: () => { readonly uploaded: number; readonly downloaded: number };
  readonly onUploaded: (bytes: number) => void;
  readonly nowMs: () => number;
  /** Paces uploads under the upload cap; null without one. */
  readonly uploadPacer: UploadPacer | null;
  /** The instance's uplink, shared by all links of all swarms; null admits every request. */
  readonly uplink?: UplinkAdmission | null;
  /** This viewer's uplink class now, told to peers (policy/seeder-weight.ts); 0 when absent. */
  readonly uplinkClass?: () => number;
  /** Largest segment size a peer may declare (peer-limits). */
  readonly segmentSizeBoundBytes: () => number;
  /** The instance's byte budget for partial downloads. */
  readonly receiveBudget: ReceiveBudget;
  /** A peer's availability changed (have, lost, loading): waiting loaders decide again. */
  readonly onAvailabilityChanged: (swarmId: string) => void;
  readonly onPeerConnected: (swarmId: string, remotePeerId: string) => void;
  readonly onPeerClosed: (swarmId: string, remotePeerId: string, error: P2PError | null) => void;
  /** A peer broke enough promises to be banned (policy/peer-strikes): ban it in every swarm. */
  readonly onStruckOut: (swarmId: string, remotePeerId: string, error: P2PError) => void;
  readonly onError: (error: P2PError) => void;
  /**
   * While true, announces carry no offers (the tracker still answers with its count of others):
   * making them competes with the player's startup. `releaseOffers()` sends the held ones.
   */
  readonly offersHeld?: () => boolean;
}
