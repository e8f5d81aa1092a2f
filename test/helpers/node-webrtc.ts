// Node WebRTC for tests: node-datachannel behind webrtc-polyfill (simple-peer's WebRTC in Node).
//
// Known cost: webrtc-polyfill 1.2 never fires the end-of-candidates event (an `icecandidate` event
// whose candidate is null), so simple-peer without trickle (how bittorrent-tracker's client
// signals) sends each offer and answer only after its own 5-s timeout: a connection takes ~10 s
// here. Adding the event made connections take milliseconds, but then, in the full suite only,
// some pairs never connected; waits in tests allow for the 10 s instead (CONNECTION_GUARD_MS).

/**
 * node-datachannel passes unknown RTCConfiguration keys to libdatachannel: `bindAddress` keeps ICE
 * on 127.0.0.1, the only interface of the tests' network namespace.
 */
export const LOOPBACK_CONFIG = { iceServers: [], bindAddress: '127.0.0.1' } as RTCConfiguration;

/** Liveness guard for a wait that includes a Node WebRTC connection (~10 s each, longer when busy). */
export const CONNECTION_GUARD_MS = 60_000;
