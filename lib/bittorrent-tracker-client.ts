import Client from 'bittorrent-tracker/client';
import type { TrackerClient, TrackerClientFactory, TrackerClientOptions } from './tracker-client.ts';

/**
 * The tracker client of the WebTorrent family: WebSocket signalling, WebRTC peers
 * (@thaunknown/simple-peer). `wrtc` is a WebRTC implementation for Node; browsers need none.
 */
export function createBittorrentTrackerClientFactory(wrtc?: unknown): TrackerClientFactory {
  return (options: TrackerClientOptions): TrackerClient =>
    new Client({
      infoHash: options.infoHashHex,
      peerId: options.peerIdHex,
      announce: [...options.announceUrls],
      // Only used by the Node build of the client (HTTP/UDP trackers); required there.
      port: 6881,
      rtcConfig: options.rtcConfig,
      getAnnounceOpts: options.getAnnounceParameters,
      ...(wrtc === undefined ? {} : { wrtc }),
    }) as unknown as TrackerClient;
}
