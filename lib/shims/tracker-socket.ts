// Bundle alias for `@thaunknown/simple-websocket`, the socket bittorrent-tracker's WebSocket
// tracker opens (~0.5 KiB gzip less: no Duplex, no write queue, no debug ids). The tracker client
// uses only this part of it, and its protocol code is unchanged:
// - `new Socket({ url })`; `connected` once open; `send(text)` straight to the WebSocket;
// - events: `connect` once open; `data` per message as bytes (the client decodes them as UTF-8);
//   a failed connection or a WebSocket error: `error` (`Error connecting to <url>`), then `close`;
//   the server closing: `close`; a `data` listener that throws: `error` (that error), then `close`;
// - `destroy(error?)` once: the WebSocket closed and its handlers detached, nothing after it but
//   `error` (when given) and then `close`, in a microtask as streamx emits them.
// Checked against the original in test/integration/stream-shims.test.ts.
import { EventEmitter } from './event-emitter.ts';
import RuntimeWebSocket from './websocket.ts';

/** Options the tracker client passes (`agent` is for Node proxies and not used here). */
export interface TrackerSocketOptions {
  readonly url: string;
}

/** The part of simple-websocket's `Socket` that bittorrent-tracker's WebSocket tracker uses. */
export default class TrackerSocket extends EventEmitter {
  readonly url: string;
  connected = false;
  destroyed = false;
  #socket: WebSocket | null = null;

  constructor(options: TrackerSocketOptions | string) {
    super();
    this.url = typeof options === 'string' ? options : options.url;
    let socket: WebSocket;
    try {
      socket = RuntimeWebSocket(this.url);
    } catch (error) {
      queueMicrotask(() => {
        this.destroy(error as Error);
      });
      return;
    }
    this.#socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      if (this.connected || this.destroyed) return;
      this.connected = true;
      this.emit('connect');
    };
    socket.onmessage = (event: MessageEvent<unknown>) => {
      if (this.destroyed) return;
      const { data } = event;
      try {
        this.emit(
          'data',
          typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data as ArrayBuffer),
        );
      } catch (error) {
        // The tracker client throws on a frame it cannot read (JSON `null`): the socket ends with that
        // error (the client reconnects later) instead of an uncaught one in the page.
        this.destroy(error as Error);
      }
    };
    socket.onclose = () => {
      this.destroy();
    };
    socket.onerror = () => {
      this.destroy(new Error(`Error connecting to ${this.url}`));
    };
  }

  /** Sends a text frame (the tracker client sends JSON text). */
  send(text: string): void {
    this.#socket?.send(text);
  }

  /** Closes the WebSocket once; then `error` (if given) and `close`. */
  destroy(error?: Error | null): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.connected = false;
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = () => undefined;
      if (socket.readyState !== RuntimeWebSocket.CLOSED) {
        try {
          socket.close();
        } catch {
          // Already closing: nothing left to release.
        }
      }
    }
    queueMicrotask(() => {
      if (error) this.emit('error', error);
      this.emit('close');
    });
  }
}
