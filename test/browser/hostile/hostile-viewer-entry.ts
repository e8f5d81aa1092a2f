// The hostile viewer's browser build (bundled by test/helpers/hostile-bundle.ts): the library's
// own Swarm in a page, claiming every segment and serving corrupted bytes over real WebRTC.
import { createBittorrentTrackerClientFactory } from '../../../lib/swarm/bittorrent-tracker-client.ts';
import type { CorruptionMode } from '../../helpers/corrupt-segment.ts';
import { startHostilePeer, type HostilePeer } from '../../helpers/poisoning-peer.ts';

interface StartOptions {
  readonly peerId: string;
  readonly trackerUrl: string;
  readonly playlistUrl: string;
  readonly mode: CorruptionMode;
  /** URLs of the segments to corrupt, by sequence number. */
  readonly segmentUrls: readonly string[];
}

async function start(options: StartOptions): Promise<void> {
  const originals = await Promise.all(options.segmentUrls.map(async (url) => (await fetch(url)).arrayBuffer()));
  const peer: HostilePeer = startHostilePeer({
    peerId: options.peerId,
    trackerUrl: options.trackerUrl,
    playlistUrl: options.playlistUrl,
    createTrackerClient: createBittorrentTrackerClientFactory(),
    original: (sequenceNumber) => originals[sequenceNumber],
    mode: options.mode,
    claimedSequenceNumbers: originals.map((_, i) => i),
  });
  (window as unknown as { hostilePeer: HostilePeer }).hostilePeer = peer;
}

(window as unknown as { startHostile: typeof start }).startHostile = start;
