// Fleet telemetry: viewers' beacons summed into counters, gauges and histograms. Socket-free,
// on an injected clock. Per-swarm series are kept only for the top K swarms by viewers (the rest
// add up under `other`), so the number of series stays bounded whatever viewers send.
import type { Beacon } from '../lib/shared/beacon.ts';

/** Upper bounds of the startup-time histogram, in seconds. */
export const STARTUP_BUCKETS_SECONDS = [0.25, 0.5, 1, 2, 4, 8, 16, 32] as const;
/** Upper bounds of the stall-duration histogram, in seconds. */
export const STALL_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16] as const;
/** The label of every swarm outside the top K. */
export const OTHER_SWARM = 'other';
/** A viewer counts until this many of its own intervals pass without a beacon (one lost beacon is not a departure) ... */
const VIEWER_TIMEOUT_INTERVALS = 3;
/** ... and at least this long. */
const MIN_VIEWER_TIMEOUT_MS = 10_000;
/** How often the top K is recomputed and silent sessions forgotten, at the latest. */
const REFRESH_MS = 5_000;
/**
 * How long a snapshot is served again. Taking one walks every session (100,000 at most): /stats.json
 * and /metrics (which reads it once per series) cost one walk per period at most, whoever asks.
 */
const SNAPSHOT_MAX_AGE_MS = REFRESH_MS;
/** Regions and library versions listed in the snapshot, most viewers first. */
const TOP_LISTED = 10;

export interface SourceBytes {
  http: number;
  peer: number;
  cache: number;
}

export interface HistogramSnapshot {
  /** Upper bounds, in seconds; a last `+Inf` bucket is implied. */
  readonly bucketsSeconds: readonly number[];
  /** Observations per bucket (not cumulative); one more entry than bucketsSeconds, for `+Inf`. */
  readonly counts: readonly number[];
  readonly sumSeconds: number;
  readonly count: number;
}

export interface FleetSwarmSnapshot {
  /** The swarm id, or `other` for the swarms outside the top K. */
  readonly swarm: string;
  readonly viewers: number;
  readonly bytes: Readonly<SourceBytes>;
  /** Peer bytes over peer + HTTP bytes since this series began; null before any. */
  readonly offloadRatio: number | null;
}

/** Everything the tracker knows from beacons; counters count from the tracker's start. */
export interface FleetSnapshot {
  readonly beacons: number;
  /** Sessions that sent a beacon within their viewer timeout and not a final one. */
  readonly viewers: number;
  /** Sum of the connected peers the current viewers reported last. */
  readonly connectedPeers: number;
  readonly bytes: Readonly<SourceBytes>;
  readonly offloadRatio: number | null;
  readonly uploadedBytes: number;
  readonly peerFallbacks: number;
  readonly integrityFailures: number;
  readonly startupSeconds: HistogramSnapshot;
  readonly stallSeconds: HistogramSnapshot;
  /** The top K swarms by viewers, then `other`. */
  readonly swarms: readonly FleetSwarmSnapshot[];
  /**
   * Current viewers by rendition (`renditionLabel` of the height they told: one of 16 labels),
   * region hint and library version (top 10 each).
   */
  readonly renditions: Readonly<Record<string, number>>;
  readonly regions: Readonly<Record<string, number>>;
  readonly libraries: Readonly<Record<string, number>>;
}

// The heights renditions are labelled by (metrics labels stay bounded whatever viewers tell).
const COMMON_HEIGHTS = [144, 180, 240, 270, 288, 360, 432, 480, 540, 576, 720, 900, 1080, 1440, 2160, 4320];

/** A rendition's label from the height a viewer told: the nearest common height, e.g. 404 → `432p`, 1088 → `1080p`. */
export function renditionLabel(height: number): string {
  let nearest = COMMON_HEIGHTS[0] as number;
  for (const common of COMMON_HEIGHTS) if (Math.abs(common - height) < Math.abs(nearest - height)) nearest = common;
  return `${nearest}p`;
}

export interface FleetAggregatorOptions {
  /** Swarms with series of their own (the rest are `other`). */
  readonly topSwarms: number;
  /** Sessions remembered at once; beyond it new sessions still add bytes but are not counted as viewers. */
  readonly maxSessions: number;
  readonly nowMs: () => number;
}

interface Session {
  expiresAtMs: number;
  sequence: number;
  swarms: readonly string[];
  height: number | null;
  region: string | null;
  library: string;
  connectedPeers: number;
  startupSeen: boolean;
}

class Histogram {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(seconds: number): void {
    let i = this.#bounds.findIndex((bound) => seconds <= bound);
    if (i === -1) i = this.#bounds.length;
    this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    this.#sum += seconds;
    this.#count += 1;
  }

  snapshot(): HistogramSnapshot {
    return { bucketsSeconds: this.#bounds, counts: [...this.#counts], sumSeconds: this.#sum, count: this.#count };
  }
}

const zeroBytes = (): SourceBytes => ({ http: 0, peer: 0, cache: 0 });
const offload = (bytes: SourceBytes): number | null =>
  bytes.peer + bytes.http === 0 ? null : bytes.peer / (bytes.peer + bytes.http);

/** Sums beacons; `ingest` per beacon, `snapshot` per scrape. */
export class FleetAggregator {
  readonly #options: FleetAggregatorOptions;
  readonly #sessions = new Map<string, Session>();
  /** Bytes of each top-K swarm since it entered the top K. */
  readonly #topSwarms = new Map<string, SourceBytes>();
  readonly #other = zeroBytes();
  readonly #total = zeroBytes();
  readonly #startup = new Histogram(STARTUP_BUCKETS_SECONDS);
  readonly #stalls = new Histogram(STALL_BUCKETS_SECONDS);
  #beacons = 0;
  #uploadedBytes = 0;
  #peerFallbacks = 0;
  #integrityFailures = 0;
  #viewersBySwarm = new Map<string, number>();
  #refreshedAtMs = -Infinity;
  #snapshot: FleetSnapshot | null = null;
  #snapshotAtMs = -Infinity;

  constructor(options: FleetAggregatorOptions) {
    this.#options = options;
  }

  /** Add one parsed beacon; false (and nothing added) when its session already sent that sequence number. */
  ingest(beacon: Beacon): boolean {
    const nowMs = this.#options.nowMs();
    if (nowMs - this.#refreshedAtMs >= REFRESH_MS) this.#refresh(nowMs);
    let session = this.#sessions.get(beacon.session);
    if (session !== undefined && beacon.sequence <= session.sequence) return false;
    if (session === undefined && this.#sessions.size < this.#options.maxSessions && !beacon.final) {
      session = {
        expiresAtMs: 0,
        sequence: -1,
        swarms: [],
        height: null,
        region: null,
        library: '',
        connectedPeers: 0,
        startupSeen: false,
      };
      this.#sessions.set(beacon.session, session);
    }
    this.#beacons += 1;
    this.#uploadedBytes += beacon.uploadedBytes;
    this.#peerFallbacks += beacon.peerFallbacks;
    this.#integrityFailures += beacon.integrityFailures;
    for (const ms of beacon.stallsMs) this.#stalls.observe(ms / 1000);
    // A session the tracker does not remember (full table, or its first beacon is final) cannot
    // be deduplicated: its startup is only taken from its first beacon.
    const startupNew = session === undefined ? beacon.sequence === 0 : !session.startupSeen;
    if (beacon.startupMs !== null && startupNew) this.#startup.observe(beacon.startupMs / 1000);
    for (const swarm of beacon.swarms) {
      let series = this.#topSwarms.get(swarm.swarm);
      if (series === undefined && this.#topSwarms.size < this.#options.topSwarms) {
        series = zeroBytes();
        this.#topSwarms.set(swarm.swarm, series);
      }
      for (const bytes of [series ?? this.#other, this.#total]) {
        bytes.http += swarm.httpBytes;
        bytes.peer += swarm.peerBytes;
        bytes.cache += swarm.cacheBytes;
      }
    }
    if (session !== undefined) {
      if (beacon.final) {
        this.#sessions.delete(beacon.session);
      } else {
        session.sequence = beacon.sequence;
        session.expiresAtMs =
          nowMs + Math.max(MIN_VIEWER_TIMEOUT_MS, beacon.intervalSeconds * 1000 * VIEWER_TIMEOUT_INTERVALS);
        session.swarms = beacon.swarms.map((swarm) => swarm.swarm);
        session.height = beacon.height;
        session.region = beacon.region;
        session.library = beacon.library;
        session.connectedPeers = beacon.connectedPeers;
        session.startupSeen ||= beacon.startupMs !== null;
      }
    }
    return true;
  }

  /** What beacons told, as of at most SNAPSHOT_MAX_AGE_MS ago (5 s). */
  snapshot(): FleetSnapshot {
    const nowMs = this.#options.nowMs();
    if (this.#snapshot === null || nowMs - this.#snapshotAtMs >= SNAPSHOT_MAX_AGE_MS) {
      this.#snapshot = this.#take(nowMs);
      this.#snapshotAtMs = nowMs;
    }
    return this.#snapshot;
  }

  #take(nowMs: number): FleetSnapshot {
    this.#refresh(nowMs);
    const renditions: Record<string, number> = {};
    const regions = new Map<string, number>();
    const libraries = new Map<string, number>();
    let connectedPeers = 0;
    for (const session of this.#sessions.values()) {
      connectedPeers += session.connectedPeers;
      if (session.height !== null) {
        const label = renditionLabel(session.height);
        renditions[label] = (renditions[label] ?? 0) + 1;
      }
      if (session.region !== null) regions.set(session.region, (regions.get(session.region) ?? 0) + 1);
      libraries.set(session.library, (libraries.get(session.library) ?? 0) + 1);
    }
    const swarms: FleetSwarmSnapshot[] = [...this.#topSwarms].map(([swarm, bytes]) => ({
      swarm,
      viewers: this.#viewersBySwarm.get(swarm) ?? 0,
      bytes: { ...bytes },
      offloadRatio: offload(bytes),
    }));
    swarms.sort((a, b) => b.viewers - a.viewers || (a.swarm < b.swarm ? -1 : 1));
    let otherViewers = 0;
    for (const [swarm, viewers] of this.#viewersBySwarm) if (!this.#topSwarms.has(swarm)) otherViewers += viewers;
    swarms.push({
      swarm: OTHER_SWARM,
      viewers: otherViewers,
      bytes: { ...this.#other },
      offloadRatio: offload(this.#other),
    });
    return {
      beacons: this.#beacons,
      viewers: this.#sessions.size,
      connectedPeers,
      bytes: { ...this.#total },
      offloadRatio: offload(this.#total),
      uploadedBytes: this.#uploadedBytes,
      peerFallbacks: this.#peerFallbacks,
      integrityFailures: this.#integrityFailures,
      startupSeconds: this.#startup.snapshot(),
      stallSeconds: this.#stalls.snapshot(),
      swarms,
      renditions,
      regions: topEntries(regions),
      libraries: topEntries(libraries),
    };
  }

  /** Forget silent sessions, count viewers per swarm, and make the K swarms with most viewers the labelled ones. */
  #refresh(nowMs: number): void {
    this.#refreshedAtMs = nowMs;
    const viewers = new Map<string, number>();
    for (const [id, session] of this.#sessions) {
      if (session.expiresAtMs <= nowMs) {
        this.#sessions.delete(id);
        continue;
      }
      for (const swarm of session.swarms) viewers.set(swarm, (viewers.get(swarm) ?? 0) + 1);
    }
    this.#viewersBySwarm = viewers;
    const keep = new Set(mostFirst(viewers, this.#options.topSwarms).map(([swarm]) => swarm));
    // A swarm that left the top K stops being exported (its later bytes go to `other`); between
    // refreshes, a newcomer takes a free place at its first beacon (see ingest).
    for (const swarm of this.#topSwarms.keys()) if (!keep.has(swarm)) this.#topSwarms.delete(swarm);
    for (const swarm of keep) if (!this.#topSwarms.has(swarm)) this.#topSwarms.set(swarm, zeroBytes());
  }
}

function topEntries(counts: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries(mostFirst(counts, TOP_LISTED));
}

const before = (a: readonly [string, number], b: readonly [string, number]): boolean =>
  a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]);

/** The `count` entries with the largest values (ties: smaller key first), in O(entries × count) without sorting them all. */
function mostFirst(counts: ReadonlyMap<string, number>, count: number): [string, number][] {
  const top: [string, number][] = [];
  if (count <= 0) return top;
  for (const entry of counts) {
    if (top.length === count && !before(entry, top[count - 1] as [string, number])) continue;
    let at = Math.min(top.length, count - 1);
    while (at > 0 && before(entry, top[at - 1] as [string, number])) at -= 1;
    top.splice(at, 0, entry);
    if (top.length > count) top.pop();
  }
  return top;
}
