// @thaunknown/simple-peer ships no types; this declares the part the benchmarks and tests use.
declare module '@thaunknown/simple-peer/lite.js' {
  interface PeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    config?: RTCConfiguration;
    channelConfig?: RTCDataChannelInit;
  }
  class Peer {
    constructor(options?: PeerOptions);
    readonly connected: boolean;
    readonly destroyed: boolean;
    readonly bufferSize: number;
    signal(data: unknown): void;
    send(data: Uint8Array | string): void;
    destroy(error?: Error): void;
    on(event: string, listener: (...args: never[]) => void): this;
    once(event: string, listener: (...args: never[]) => void): this;
    off(event: string, listener: (...args: never[]) => void): this;
    removeAllListeners(event?: string): this;
  }
  export default Peer;
}
