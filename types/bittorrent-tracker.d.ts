// bittorrent-tracker ships no types; this declares the part of its server the benchmark uses.
declare module 'bittorrent-tracker' {
  export class Server {
    constructor(options: { udp?: boolean; http?: boolean; ws?: boolean; stats?: boolean; trustProxy?: boolean });
    readonly http: { address(): unknown };
    on(event: string, listener: (...args: never[]) => void): this;
    listen(port: number, host: string): void;
    close(callback?: () => void): void;
    /** Adopt an open WebSocket (or any EventEmitter with `send(data, callback)`): the bench drives the core through it. */
    onWebSocketConnection(socket: NodeJS.EventEmitter & { send(data: string, callback?: () => void): void }): void;
  }
}
