// Bundle alias for `webrtc-polyfill`: the browser's own WebRTC classes, read from `globalThis`
// (its browser build reads `window`/`self`, which is a ReferenceError when the bundle is imported
// in Node, e.g. for server-side rendering). Undefined where the runtime has no WebRTC: the peer
// constructor then throws and the library stays on HTTP.
const scope = globalThis as unknown as Record<string, unknown>;

export const RTCPeerConnection = scope.RTCPeerConnection;
export const RTCSessionDescription = scope.RTCSessionDescription;
export const RTCIceCandidate = scope.RTCIceCandidate;
