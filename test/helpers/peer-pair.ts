import Peer from '@thaunknown/simple-peer/lite.js';

import { LOOPBACK_CONFIG } from './node-webrtc.ts';

export type SimplePeer = InstanceType<typeof Peer>;

/** Two connected simple-peer instances (Node WebRTC via webrtc-polyfill), signalled in-process. */
export async function connectedPeerPair(): Promise<[SimplePeer, SimplePeer]> {
  const a = new Peer({ initiator: true, trickle: true, config: LOOPBACK_CONFIG });
  const b = new Peer({ trickle: true, config: LOOPBACK_CONFIG });
  a.on('signal', (data: unknown) => b.signal(data));
  b.on('signal', (data: unknown) => a.signal(data));
  const connected = (peer: SimplePeer): Promise<void> =>
    new Promise((resolve, reject) => {
      peer.once('connect', resolve);
      peer.once('error', reject as never);
    });
  await Promise.all([connected(a), connected(b)]);
  return [a, b];
}
