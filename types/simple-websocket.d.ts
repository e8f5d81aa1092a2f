// @thaunknown/simple-websocket ships no types; this declares the part the stream-shim test uses.
declare module '@thaunknown/simple-websocket' {
  class Socket {
    constructor(url: string);
    readonly destroyed: boolean;
    send(data: string | Uint8Array): void;
    destroy(error?: Error): void;
    on(event: string, listener: (...args: never[]) => void): this;
    once(event: string, listener: (...args: never[]) => void): this;
  }
  export default Socket;
}
