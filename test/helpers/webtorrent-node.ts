// WebTorrent clients in Node for tracker tests: WebRTC on loopback only, meeting only through
// the tracker under test (no DHT, LSD, PEX, uTP, web seeds, and its TCP listener closed).
import assert from 'node:assert/strict';
import WebTorrent, { type Torrent } from 'webtorrent';
import { LOOPBACK_CONFIG } from './node-webrtc.ts';

/** Seeded pseudo-random bytes (mulberry32), so every run transfers the same torrent. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i += 4) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    new DataView(bytes.buffer).setUint32(i, (t ^ (t >>> 14)) >>> 0);
  }
  return bytes;
}

/** The parts of webtorrent's private state the test closes: it has no option to skip its TCP listener. */
interface ClientInternals {
  _connPool?: { tcpServer?: { close(): void } | null } | null;
}

/**
 * Every way webtorrent finds peers other than a tracker is off, so the clients can only meet through
 * ours; its trackers get the loopback-only ICE configuration (bittorrent-tracker passes `rtcConfig` to
 * simple-peer, and node-datachannel reads `bindAddress` from it).
 */
export const WEBRTC_VIA_TRACKER_ONLY = {
  dht: false,
  lsd: false,
  utPex: false,
  utp: false,
  natUpnp: false,
  natPmp: false,
  webSeeds: false,
  tracker: { rtcConfig: LOOPBACK_CONFIG },
} as const;

/** A started client whose TCP listener is closed, so WebRTC through a tracker is the only way in. */
export async function startWebTorrent(options: { tracker?: false; peerId?: string } = {}): Promise<WebTorrent> {
  const client = new WebTorrent({ ...WEBRTC_VIA_TRACKER_ONLY, ...options });
  client.on('error', (error: Error) => assert.fail(error));
  if (!client.listening) await new Promise((resolve) => client.once('listening', resolve));
  // webtorrent always listens for TCP in Node. Nothing advertises that port (no DHT, LSD or PEX,
  // and a WebSocket tracker carries no ports), and closing it leaves WebRTC as the only way in.
  (client as unknown as ClientInternals)._connPool?.tcpServer?.close();
  return client;
}

/** Destroy a client whose TCP listener the test closed (webtorrent then reports that it was not running). */
export const destroyWebTorrent = (client: WebTorrent): Promise<void> =>
  new Promise((resolve, reject) =>
    client.destroy((error) => {
      if (error === undefined || error === null || (error as NodeJS.ErrnoException).code === 'ERR_SERVER_NOT_RUNNING')
        resolve();
      else reject(error);
    }),
  );

export const nextEvent = (emitter: Torrent, name: string): Promise<void> =>
  new Promise((resolve) => emitter.once(name, () => resolve()));
