// bittorrent-tracker ships no types; this declares the part of its client that lib/ uses.
declare module 'bittorrent-tracker/client' {
  interface ClientOptions {
    infoHash: string;
    peerId: string;
    announce: string[];
    port?: number;
    rtcConfig?: RTCConfiguration;
    getAnnounceOpts?: () => object;
    wrtc?: unknown;
  }
  class Client {
    constructor(options: ClientOptions);
    on(event: string, listener: (...args: never[]) => void): this;
    start(): void;
    stop(): void;
    update(): void;
    destroy(callback?: (error?: Error) => void): void;
  }
  export default Client;
}
