// Node WebRTC for tests: node-datachannel behind webrtc-polyfill (simple-peer's WebRTC in Node),
// kept on 127.0.0.1, signalling the end of ICE gathering as browsers do, and negotiating so that
// no pair can lose libdatachannel's offer/answer race (below).
//
// End of gathering. The W3C spec ends ICE gathering with an `icecandidate` event whose candidate is
// null; webrtc-polyfill 1.2 never fires it, so simple-peer without trickle (how bittorrent-tracker's
// client signals) sent each offer and answer only after its own 5-s timeout: ~10 s per connection.
// Here the event follows gathering state 'complete'. libdatachannel puts each candidate into the
// local description before it reports 'complete', so the SDP sent holds the host candidate.
//
// The race. libdatachannel (0.23, in node-datachannel 0.33) gives an answer's ICE credentials to its
// ICE agent before it stores the answer as the remote description. The answerer starts its checks as
// soon as it has the offer's candidates; when one arrives in that window, ICE and then DTLS can
// complete before the answer is stored, the DTLS certificate check finds no remote fingerprint
// ("DTLS alert: unknown CA"), the connection closes, and the offerer's setRemoteDescription throws
// "Got a remote candidate without ICE transport": that pair never connects. Behind simple-peer's 5-s
// wait the answerer's checks had backed off by the time the answer came, so this was rare ("some
// pairs never connect in the full suite"); answering at once made it 16 of 800 in-process pairs with
// two CPU burners beside them (0 of 1,200 with what follows). So the answerer takes no candidates
// from the offer: it checks nothing until the offerer's first check reaches it (it learns the
// offerer's address from that check, a peer-reflexive candidate, RFC 8445 §7.3.1.3), and the
// offerer checks only once the answer is stored.
import { RTCPeerConnection } from 'webrtc-polyfill';

/**
 * node-datachannel passes unknown RTCConfiguration keys to libdatachannel: `bindAddress` keeps ICE
 * on 127.0.0.1, the only interface of the tests' network namespace.
 */
export const LOOPBACK_CONFIG = { iceServers: [], bindAddress: '127.0.0.1' } as RTCConfiguration;

/**
 * Liveness guard for a wait that includes a Node WebRTC connection: one takes tens of ms; this allows
 * for a busy machine and for one failed attempt followed by a re-announce.
 */
export const CONNECTION_GUARD_MS = 60_000;

interface PolyfilledConnection extends EventTarget {
  readonly iceGatheringState: string;
  readonly remoteDescription: RTCSessionDescriptionInit | null;
  onicecandidate: ((event: { candidate: null }) => void) | null;
  setRemoteDescription: (this: PolyfilledConnection, description: RTCSessionDescriptionInit) => Promise<void>;
  addIceCandidate: (this: PolyfilledConnection, candidate: RTCIceCandidateInit) => Promise<void>;
}

const ended = new WeakSet();
const prototype = RTCPeerConnection.prototype as unknown as PolyfilledConnection;
const { setRemoteDescription, addIceCandidate } = prototype;
const OFFERED_CANDIDATE = /^a=(?:candidate:|end-of-candidates).*\r?\n/gm;

function replace<K extends keyof PolyfilledConnection>(name: K, value: PolyfilledConnection[K]): void {
  Object.defineProperty(prototype, name, { configurable: true, writable: true, value });
}

replace('dispatchEvent', function dispatchEvent(this: PolyfilledConnection, event: Event): boolean {
  const result = EventTarget.prototype.dispatchEvent.call(this, event);
  if (event.type === 'icegatheringstatechange' && this.iceGatheringState === 'complete' && !ended.has(this)) {
    ended.add(this);
    // Straight to the handler simple-peer sets: the polyfill's own listener would record the null
    // as a local candidate.
    this.onicecandidate?.({ candidate: null });
  }
  return result;
});

// The answerer: an offer's candidates are left out of it...
replace('setRemoteDescription', function (this: PolyfilledConnection, description: RTCSessionDescriptionInit) {
  const offer = description.type === 'offer' && description.sdp !== undefined;
  return setRemoteDescription.call(
    this,
    offer ? { type: 'offer', sdp: description.sdp?.replace(OFFERED_CANDIDATE, '') } : description,
  );
});

// ...and so are the offerer's trickled ones (simple-peer with trickle sends them apart).
replace('addIceCandidate', function (this: PolyfilledConnection, candidate: RTCIceCandidateInit) {
  return this.remoteDescription?.type === 'offer' ? Promise.resolve() : addIceCandidate.call(this, candidate);
});
