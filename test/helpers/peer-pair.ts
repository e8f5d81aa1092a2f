import Peer from '@thaunknown/simple-peer/lite.js';

import { LOOPBACK_CONFIG } from './node-webrtc.ts';

export type SimplePeer = InstanceType<typeof Peer>;

/**
 * Two connected simple-peer instances (Node WebRTC via webrtc-polyfill), signalled in-process
 * without trickle, as bittorrent-tracker's client does: each side's candidates travel in its offer
 * or answer. With trickle, libdatachannel now and then refused the answer ("Got a remote candidate
 * without ICE transport") when a trickled candidate raced it (a CI run, 2026-12-02).
 */
export async function connectedPeerPair(): Promise<[SimplePeer, SimplePeer]> {
  const a = new Peer({ initiator: true, trickle: false, config: LOOPBACK_CONFIG });
  const b = new Peer({ trickle: false, config: LOOPBACK_CONFIG });
  a.on('signal', (data: unknown) => b.signal(data));
  b.on('signal', (data: unknown) => a.signal(data));
  const connected = (peer: SimplePeer): Promise<void> =>
    new Promise((resolve, reject) => {
      peer.once('connect', resolve);
      peer.once('error', reject as never);
    });
  try {
    await Promise.all([connected(a), connected(b)]);
  } catch (error) {
    // Peers left open keep the process alive: mocha (no --exit) would never end after this failure.
    a.destroy();
    b.destroy();
    throw error;
  }
  return [a, b];
}
