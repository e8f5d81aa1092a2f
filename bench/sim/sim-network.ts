// The simulator's modelled network: each viewer's uplink and downlink capacity and access latency,
// per-pair round-trip time, which pairs cannot reach each other (no relay), and fair sharing of
// capacity between concurrent transfers (an uploader's uplink split evenly over its transfers, a
// downloader's downlink likewise; a transfer gets the smaller of its two shares when it starts a
// piece). Pieces are at most PIECE_MODELLED_BYTES, so shares follow the number of transfers closely.

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

/**
 * A new transfer's rate: the smaller of its fair share of the sender's uplink (with `uploadFlows`
 * other transfers running there) and of the receiver's downlink (`downloadFlows` others).
 */
export function fairShareBytesPerMs(
  uploadBytesPerMs: number,
  uploadFlows: number,
  downloadBytesPerMs: number,
  downloadFlows: number,
): number {
  return Math.min(uploadBytesPerMs / (uploadFlows + 1), downloadBytesPerMs / (downloadFlows + 1));
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
  uploadFlows: number;
  downloadFlows: number;
}

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
    this.#nodes.set(node, { link, uploadFlows: 0, downloadFlows: 0 });
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
    return { upload: state.uploadFlows, download: state.downloadFlows };
  }

  /** Start a piece from `from` (ORIGIN_NODE for HTTP) to `to`: its rate; `end` must follow if `counted`. */
  begin(from: number, to: number, counted: boolean): number {
    const receiver = this.#state(to);
    const sender = from === ORIGIN_NODE ? null : this.#state(from);
    const rate = fairShareBytesPerMs(
      sender === null ? Infinity : sender.link.uploadBytesPerMs,
      sender === null ? 0 : sender.uploadFlows,
      receiver.link.downloadBytesPerMs,
      receiver.downloadFlows,
    );
    if (counted) {
      receiver.downloadFlows += 1;
      if (sender !== null) sender.uploadFlows += 1;
    }
    return rate;
  }

  /** A counted piece ended (or was cut off); nodes that left are ignored. */
  end(from: number, to: number): void {
    const receiver = this.#nodes.get(to);
    if (receiver !== undefined) receiver.downloadFlows = Math.max(0, receiver.downloadFlows - 1);
    const sender = from === ORIGIN_NODE ? undefined : this.#nodes.get(from);
    if (sender !== undefined) sender.uploadFlows = Math.max(0, sender.uploadFlows - 1);
  }

  #state(node: number): NodeState {
    const state = this.#nodes.get(node);
    if (state === undefined) throw new Error(`no node ${node} in the simulated network`);
    return state;
  }
}
