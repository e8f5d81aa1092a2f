// Bundle alias for `ws` (which @thaunknown/simple-websocket imports for Node and maps to nothing
// in browsers, then reads the global `WebSocket` when the module loads: a ReferenceError on
// import in Node 20, e.g. server-side rendering). This constructor reads the runtime's WebSocket
// only when a socket is opened; where there is none, the socket (tracker-socket.ts in the bundles)
// reports the error and the library stays on HTTP. simple-websocket passes `ws` options as a second
// argument: the browser's second argument is subprotocols, so it is not forwarded.
interface WebSocketConstructor {
  new (url: string): WebSocket;
}

/** Opens a WebSocket of the runtime (browsers, Node 22+). */
export default function RuntimeWebSocket(url: string): WebSocket {
  const Constructor = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (Constructor === undefined) throw new Error('no WebSocket in this runtime');
  return new Constructor(url);
}
RuntimeWebSocket.OPEN = 1;
RuntimeWebSocket.CLOSED = 3;
