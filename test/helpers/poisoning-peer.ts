// A hostile viewer that speaks peercdn's wire protocol: the library's own Swarm (real tracker,
// real WebRTC), claiming every segment and serving corrupted bytes, under a peer id it chooses
// (so it can come back under the same id after a ban).
import { swarmIdOfPlaylist } from '../../lib/hls/fragment-swarm.ts';
import type { UploadPacer } from '../../lib/peer/peer-uploads.ts';
import { ReceiveBudget, segmentSizeBoundBytes } from '../../lib/peer/peer-limits.ts';
import { PeerRecords } from '../../lib/swarm/peer-records.ts';
import { Swarm } from '../../lib/swarm/swarm.ts';
import type { TrackerClientFactory } from '../../lib/swarm/tracker-client.ts';
import { corruptSegment, type CorruptionMode } from './corrupt-segment.ts';

export interface HostilePeerOptions {
  readonly peerId: string;
  readonly trackerUrl: string;
  /** The media playlist whose swarm it joins (level 0, as hls.js names the first rendition). */
  readonly playlistUrl: string;
  readonly createTrackerClient: TrackerClientFactory;
  /** The origin's bytes of a segment, which it corrupts before serving. */
  readonly original: (sequenceNumber: number) => ArrayBuffer | undefined;
  readonly mode: CorruptionMode;
  readonly claimedSequenceNumbers: readonly number[];
  /** Paces its uploads (e.g. to be slow enough for the receiver to resume over HTTP). */
  readonly uploadPacer?: UploadPacer;
}

export interface HostilePeer {
  /** Segments it was asked for and served (each once: the uploader looks a segment up more than once). */
  readonly served: number[];
  destroy(): void;
}

/** Join the swarm and serve corrupted segments to whoever asks. */
export function startHostilePeer(options: HostilePeerOptions): HostilePeer {
  const served: number[] = [];
  const swarm = new Swarm({
    swarmId: swarmIdOfPlaylist(options.playlistUrl, 'main', 0, null),
    peerId: options.peerId,
    trackerUrls: [options.trackerUrl],
    iceServers: [],
    maxPeers: 20,
    offersPerAnnounce: 5,
    connectTimeoutMs: 20_000,
    createTrackerClient: options.createTrackerClient,
    peerRecords: new PeerRecords(() => performance.now()),
    segmentSizeBoundBytes: () => segmentSizeBoundBytes(null),
    receiveBudget: new ReceiveBudget(),
    heldSequenceNumbers: () => options.claimedSequenceNumbers,
    getSegment: (sequenceNumber) => {
      const original = options.original(sequenceNumber);
      if (original === undefined) return undefined;
      if (!served.includes(sequenceNumber)) served.push(sequenceNumber);
      return corruptSegment(original, options.mode, sequenceNumber + 1);
    },
    transferredBytes: () => ({ uploaded: 0, downloaded: 0 }),
    onUploaded: () => undefined,
    nowMs: () => performance.now(),
    uploadPacer: options.uploadPacer ?? null,
    onAvailabilityChanged: () => undefined,
    onPeerConnected: () => undefined,
    onPeerClosed: () => undefined,
    onStruckOut: () => undefined,
    onError: () => undefined,
  });
  return { served, destroy: () => swarm.destroy() };
}
