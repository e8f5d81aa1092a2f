// A library viewer in Node for integration tests: a PeerCDN on the real tracker over Node WebRTC
// (node-datachannel on 127.0.0.1), a fake player to emit hls.js's events, and `load(n)` that
// drives the fragment loader as hls.js would for segment n of the fixture's 180p rendition.
import type { FragmentLoaderContext, HlsConfig, LoaderConfiguration, LoaderStats } from 'hls.js';
import type { PeerCDNConfig } from '../../lib/api/config.ts';
import { PeerCDN } from '../../lib/peercdn.ts';
import { createBittorrentTrackerClientFactory } from '../../lib/swarm/bittorrent-tracker-client.ts';
import type { TrackerClientFactory } from '../../lib/swarm/tracker-client.ts';
import { fakePlayer, type FakePlayer } from './fake-player.ts';
import { NodeHttpLoader } from './node-http-loader.ts';
import { LOOPBACK_CONFIG } from './peer-pair.ts';

const base = createBittorrentTrackerClientFactory();
let socketCount = 0;
/**
 * Tracker clients bound to 127.0.0.1. bittorrent-tracker's client shares one socket per tracker
 * URL within a process; a distinct URL per client keeps each on its own socket, as separate
 * browsers would be.
 */
export const loopbackClients: TrackerClientFactory = (options) =>
  base({
    ...options,
    announceUrls: options.announceUrls.map((url) => `${url}/client-${++socketCount}`),
    rtcConfig: { ...options.rtcConfig, ...LOOPBACK_CONFIG },
  });

const LOADER_CONFIG = {
  loadPolicy: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 30_000, timeoutRetry: null, errorRetry: null },
} as LoaderConfiguration;

export interface NodeViewer {
  readonly peercdn: PeerCDN;
  readonly player: FakePlayer;
  /** The fragment hls.js would describe for segment n (for FRAG_BUFFERED / ERROR events). */
  fragment(sequenceNumber: number): { sn: number; level: number; type: string; baseurl: string };
  load(sequenceNumber: number): Promise<{ data: ArrayBuffer; stats: LoaderStats }>;
}

/** A viewer of `${originUrl}/vod/180p/` on `trackerUrl`; the caller destroys `peercdn`. */
export function startNodeViewer(
  originUrl: string,
  trackerUrl: string,
  config: Partial<PeerCDNConfig> = {},
): NodeViewer {
  const playlistUrl = `${originUrl}/vod/180p/index.m3u8`;
  const peercdn = new PeerCDN(
    { trackerUrls: [trackerUrl], iceServers: [], ...config },
    { createTrackerClient: loopbackClients },
  );
  const player = fakePlayer(null, playlistUrl);
  peercdn.attach(player);
  const Loader = peercdn.hlsConfig().fLoader;
  const fragment = (sn: number) => ({ sn, level: 0, type: 'main', baseurl: playlistUrl });
  const load = (sequenceNumber: number) =>
    new Promise<{ data: ArrayBuffer; stats: LoaderStats }>((resolve, reject) => {
      const loader = new Loader({ loader: NodeHttpLoader } as unknown as HlsConfig);
      const context = {
        type: 'media-fragment',
        url: `${originUrl}/vod/180p/seg_${String(sequenceNumber).padStart(3, '0')}.ts`,
        responseType: 'arraybuffer',
        rangeStart: 0,
        rangeEnd: 0,
        part: null,
        frag: { ...fragment(sequenceNumber), start: sequenceNumber * 2, duration: 2 },
      } as unknown as FragmentLoaderContext;
      loader.load(context, LOADER_CONFIG, {
        onSuccess: (response, stats) => resolve({ data: response.data as ArrayBuffer, stats }),
        onError: (error) => reject(new Error(`load failed: ${error.code} ${error.text}`)),
        onTimeout: () => reject(new Error('load timed out')),
      });
    });
  return { peercdn, player, fragment, load };
}

/** Resolve when `check()` holds, re-checked every 20 ms, at most `attempts` times. */
export async function until(check: () => boolean, what: string, attempts = 3000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting: ${what}`);
}
