// webtorrent and memory-chunk-store ship no types; this declares the part the tracker's interoperability test uses.
declare module 'webtorrent' {
  interface WebTorrentOptions {
    /** Hex, 20 bytes. */
    peerId?: string;
    dht?: boolean;
    lsd?: boolean;
    utPex?: boolean;
    utp?: boolean;
    natUpnp?: boolean;
    natPmp?: boolean;
    webSeeds?: boolean;
    /** Options for bittorrent-tracker's client, or false for no trackers at all. */
    tracker?: false | { rtcConfig?: RTCConfiguration; announce?: string[] };
  }
  interface TorrentOptions {
    announce?: string[];
    name?: string;
    /** A chunk store constructor (abstract-chunk-store). */
    store?: unknown;
  }
  interface TorrentFile {
    readonly name: string;
    readonly length: number;
    arrayBuffer(): Promise<ArrayBuffer>;
  }
  interface Wire {
    /** 'webrtc', 'tcpIncoming', 'tcpOutgoing', 'utpIncoming', 'utpOutgoing' or 'webSeed'. */
    readonly type: string;
    readonly peerId: string;
    readonly remoteAddress: string | undefined;
  }
  export interface Torrent {
    readonly infoHash: string;
    readonly magnetURI: string;
    readonly announce: string[];
    readonly files: TorrentFile[];
    readonly wires: Wire[];
    readonly done: boolean;
    readonly downloaded: number;
    readonly uploaded: number;
    /** A simple-peer connection, or "ip:port". Only after the `infoHash` event. */
    addPeer(peer: unknown): boolean;
    on(event: string, listener: (...args: never[]) => void): this;
    once(event: string, listener: (...args: never[]) => void): this;
    off(event: string, listener: (...args: never[]) => void): this;
  }
  export default class WebTorrent {
    constructor(options?: WebTorrentOptions);
    static readonly VERSION: string;
    static readonly WEBRTC_SUPPORT: boolean;
    readonly peerId: string;
    readonly destroyed: boolean;
    readonly listening: boolean;
    seed(input: Uint8Array, options: TorrentOptions, onSeed?: (torrent: Torrent) => void): Torrent;
    add(torrentId: string, options: TorrentOptions, onTorrent?: (torrent: Torrent) => void): Torrent;
    on(event: string, listener: (...args: never[]) => void): this;
    once(event: string, listener: (...args: never[]) => void): this;
    destroy(callback?: (error?: Error | null) => void): void;
  }
}

declare module 'memory-chunk-store' {
  const MemoryChunkStore: unknown;
  export default MemoryChunkStore;
}
