// The simulator's modelled network: each viewer's uplink and downlink capacity and access latency,
// per-pair round-trip time, which pairs cannot reach each other (no relay), and fair sharing of
// capacity between concurrent transfers. A transfer gets, when it starts a piece, the smaller of its
// shares of the sender's uplink and of the receiver's downlink; a share is the link split evenly over
// its transfers, or what the others leave unused when more (a transfer held back by a slow sender
// leaves the rest of the receiver's downlink to an HTTP response, as congestion control would).
// Pieces are at most PIECE_MODELLED_BYTES, so shares follow the number of transfers closely.

/** One viewer's access link, in modelled bytes per millisecond and milliseconds. */
export interface AccessLink {
  readonly uploadBytesPerMs: number;
  readonly downloadBytesPerMs: number;
  /** One-way latency from the viewer to the internet core. */
  readonly accessLatencyMs: number;
  /** Round trip to the HTTP origin (CDN edge), request to first byte. */
  readonly originRttMs: number;
}

/** Transfers are modelled in pieces of at most this many modelled bytes (a data-channel message). */
export const PIECE_MODELLED_BYTES = 64 * 1024;
/** Pieces smaller than this (control messages) do not count as a transfer sharing a link. */
export const FLOW_THRESHOLD_MODELLED_BYTES = 1024;
/** Latency between two access networks beyond both access latencies (the core). */
export const CORE_LATENCY_MS = 5;
/** What a node id of the origin is: it has no uplink limit in the model (a CDN). */
export const ORIGIN_NODE = -1;

/** Milliseconds to send `bytes` at `bytesPerMs`. */
export function transferMs(bytes: number, bytesPerMs: number): number {
  if (!(bytesPerMs > 0)) return Infinity;
  return bytes / bytesPerMs;
}

/** Transfers running on one direction of a link: how many, and the sum of their rates. */
export interface LinkLoad {
  flows: number;
  bytesPerMsInUse: number;
}

/** A new transfer's share of a link: an even split with the others, or what they leave, if more. */
export function linkShareBytesPerMs(capacityBytesPerMs: number, load: Readonly<LinkLoad>): number {
  return Math.max(capacityBytesPerMs / (load.flows + 1), capacityBytesPerMs - load.bytesPerMsInUse);
}

/**
 * A new transfer's rate: the smaller of its share of the sender's uplink (with `upload` other
 * transfers running there) and of the receiver's downlink (`download` others).
 */
export function fairShareBytesPerMs(
  uploadBytesPerMs: number,
  upload: Readonly<LinkLoad>,
  downloadBytesPerMs: number,
  download: Readonly<LinkLoad>,
): number {
  return Math.min(linkShareBytesPerMs(uploadBytesPerMs, upload), linkShareBytesPerMs(downloadBytesPerMs, download));
}

/** Seeded 32-bit hash of two numbers (order-independent callers sort first). */
function pairHash(seed: number, a: number, b: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const value of [a, b]) {
    h = Math.imul(h ^ (value >>> 0), 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Whether two viewers can open a direct connection: a fixed share of pairs cannot (no TURN relay). */
export function pairReachable(seed: number, a: number, b: number, unreachableShare: number): boolean {
  const [low, high] = a < b ? [a, b] : [b, a];
  return pairHash(seed, low, high) / 4294967296 >= unreachableShare;
}

interface NodeState {
  readonly link: AccessLink;
  readonly upload: LinkLoad;
  readonly download: LinkLoad;
}

// No transfers: an empty link.
const IDLE: Readonly<LinkLoad> = { flows: 0, bytesPerMsInUse: 0 };

export interface NetworkOptions {
  readonly seed: number;
  /** Share of viewer pairs that cannot connect directly (0–1). */
  readonly unreachableShare: number;
}

/** The network all simulated viewers share; nodes are viewer indexes. */
export class SimNetwork {
  readonly #options: NetworkOptions;
  readonly #nodes = new Map<number, NodeState>();

  constructor(options: NetworkOptions) {
    this.#options = options;
  }

  addNode(node: number, link: AccessLink): void {
    this.#nodes.set(node, {
      link,
      upload: { flows: 0, bytesPerMsInUse: 0 },
      download: { flows: 0, bytesPerMsInUse: 0 },
    });
  }

  removeNode(node: number): void {
    this.#nodes.delete(node);
  }

  link(node: number): AccessLink {
    return this.#state(node).link;
  }

  /** Round trip between two viewers. */
  rttMs(a: number, b: number): number {
    return 2 * (this.link(a).accessLatencyMs + this.link(b).accessLatencyMs + CORE_LATENCY_MS);
  }

  reachable(a: number, b: number): boolean {
    return pairReachable(this.#options.seed, a, b, this.#options.unreachableShare);
  }

  /** Running transfers on a node's uplink and downlink. */
  flows(node: number): { readonly upload: number; readonly download: number } {
    const state = this.#state(node);
    return { upload: state.upload.flows, download: state.download.flows };
  }

  /**
   * Start a piece from `from` (ORIGIN_NODE for HTTP) to `to`: its rate. When `counted`, it shares
   * both links until `end(from, to, rate)` with the rate returned here.
   */
  begin(from: number, to: number, counted: boolean): number {
    const receiver = this.#state(to);
    const sender = from === ORIGIN_NODE ? null : this.#state(from);
    const rate = fairShareBytesPerMs(
      sender === null ? Infinity : sender.link.uploadBytesPerMs,
      sender === null ? IDLE : sender.upload,
      receiver.link.downloadBytesPerMs,
      receiver.download,
    );
    if (counted) {
      receiver.download.flows += 1;
      receiver.download.bytesPerMsInUse += rate;
      if (sender !== null) {
        sender.upload.flows += 1;
        sender.upload.bytesPerMsInUse += rate;
      }
    }
    return rate;
  }

  /** A counted piece begun at `rateBytesPerMs` ended (or was cut off); nodes that left are ignored. */
  end(from: number, to: number, rateBytesPerMs: number): void {
    const receiver = this.#nodes.get(to);
    if (receiver !== undefined) release(receiver.download, rateBytesPerMs);
    const sender = from === ORIGIN_NODE ? undefined : this.#nodes.get(from);
    if (sender !== undefined) release(sender.upload, rateBytesPerMs);
  }

  #state(node: number): NodeState {
    const state = this.#nodes.get(node);
    if (state === undefined) throw new Error(`no node ${node} in the simulated network`);
    return state;
  }
}

// One transfer left a link: the last one leaves it exactly idle (no drift from float sums).
function release(load: LinkLoad, rateBytesPerMs: number): void {
  load.flows = Math.max(0, load.flows - 1);
  load.bytesPerMsInUse = load.flows === 0 ? 0 : Math.max(0, load.bytesPerMsInUse - rateBytesPerMs);
}
