// Node WebRTC for tests: node-datachannel behind webrtc-polyfill (simple-peer's WebRTC in Node),
// kept on 127.0.0.1 and made to signal the end of ICE gathering as browsers do.
//
// The W3C spec ends ICE gathering with an `icecandidate` event whose candidate is null.
// webrtc-polyfill 1.2 never fires it: it reports gathering state 'complete' and nothing more. simple-peer
// without trickle (how bittorrent-tracker's client signals) sends its offer or answer only after
// that event, or after its own 5-s timeout: each connection then took 10 s (5 s per side), and a
// wait for a peer in a test raced those 10 s on a loaded machine. Here the end-of-candidates event
// follows the 'complete' state. The local description already holds every candidate by then
// (libdatachannel adds them as it gathers), so what is sent is what a browser would send.
import { RTCPeerConnection } from 'webrtc-polyfill';

/**
 * node-datachannel passes unknown RTCConfiguration keys to libdatachannel: `bindAddress` keeps ICE
 * on 127.0.0.1, the only interface of the tests' network namespace.
 */
export const LOOPBACK_CONFIG = { iceServers: [], bindAddress: '127.0.0.1' } as RTCConfiguration;

interface PolyfilledConnection extends EventTarget {
  readonly iceGatheringState: string;
  onicecandidate: ((event: { candidate: null }) => void) | null;
}

const ended = new WeakSet();
const prototype = RTCPeerConnection.prototype as unknown as PolyfilledConnection;

Object.defineProperty(prototype, 'dispatchEvent', {
  configurable: true,
  writable: true,
  value: function dispatchEvent(this: PolyfilledConnection, event: Event): boolean {
    const result = EventTarget.prototype.dispatchEvent.call(this, event);
    if (event.type === 'icegatheringstatechange' && this.iceGatheringState === 'complete' && !ended.has(this)) {
      ended.add(this);
      // Straight to the handler simple-peer sets: the polyfill's own listener would record the null
      // as a local candidate.
      this.onicecandidate?.({ candidate: null });
    }
    return result;
  },
});
