// What a viewer's beacon says: per-swarm byte deltas by source, stalls and startup from the media
// element, fallbacks and integrity failures, all counted since the previous beacon.
import type { PeerCDNEvents, PeerCDNStats } from '../api/events.ts';
import type { TypedEmitter } from '../api/typed-emitter.ts';
import { MAX_BEACON_STALLS, MAX_BEACON_SWARMS, type BeaconSwarm } from '../shared/beacon.ts';

/** The interval's part of a beacon (the reporter adds identity, sequence and settings). */
export interface BeaconCounts {
  readonly startupMs: number | null;
  readonly stallsMs: number[];
  readonly peerFallbacks: number;
  readonly integrityFailures: number;
  readonly uploadedBytes: number;
  readonly connectedPeers: number;
  readonly swarms: BeaconSwarm[];
}

type Bytes = { httpBytes: number; peerBytes: number; cacheBytes: number };
const SOURCE_KEY = { http: 'httpBytes', peer: 'peerBytes', cache: 'cacheBytes' } as const;
const BYTE_KEYS = ['httpBytes', 'peerBytes', 'cacheBytes'] as const;
const STATS_KEY = { httpBytes: 'httpBytes', peerBytes: 'p2pBytes', cacheBytes: 'cacheHitBytes' } as const;

/** Counts between beacons; `take()` returns the deltas and starts the next interval. */
export class BeaconCounters {
  readonly #events: TypedEmitter<PeerCDNEvents>;
  readonly #stats: () => PeerCDNStats;
  readonly #nowMs: () => number;
  // When attach(hls) first gave a media source: startup is counted from there.
  #startedAtMs: number | null = null;
  // Bytes per swarm from segment-loaded events; the engine's totals correct them at take().
  readonly #swarms = new Map<string, Bytes>();
  #lastSwarm: string | null = null;
  // What earlier beacons reported of the engine's cumulative counters.
  readonly #reported = { httpBytes: 0, peerBytes: 0, cacheBytes: 0, uploadedBytes: 0, peerFallbacks: 0 };
  #integrityFailures = 0;
  #stallsMs: number[] = [];
  #stallStartMs: number | null = null;
  #startupMs: number | null = null;
  #media: HTMLMediaElement | null = null;

  constructor(events: TypedEmitter<PeerCDNEvents>, stats: () => PeerCDNStats, nowMs: () => number) {
    this.#events = events;
    this.#stats = stats;
    this.#nowMs = nowMs;
    events.on('segment-loaded', this.#onSegment);
    events.on('error', this.#onError);
  }

  /** Follow this media element's playback (startup time, stalls); a new element replaces the old. */
  watch(media: HTMLMediaElement | null): void {
    this.#startedAtMs ??= this.#nowMs();
    if (media === this.#media) return;
    this.#unwatch();
    this.#media = media;
    media?.addEventListener('playing', this.#onPlaying);
    media?.addEventListener('waiting', this.#onWaiting);
  }

  take(final: boolean): BeaconCounts {
    if (final) this.#endStall();
    const stats = this.#stats();
    // The engine's totals are the truth (they include aborted HTTP loads and peer bytes of
    // HTTP-resumed segments, which events do not split): the difference goes to the current swarm.
    const last = this.#lastSwarm;
    if (last !== null) {
      const bytes = this.#bytesOf(last);
      for (const key of BYTE_KEYS) {
        let events = 0;
        for (const entry of this.#swarms.values()) events += entry[key];
        bytes[key] = Math.max(0, bytes[key] + stats[STATS_KEY[key]] - this.#reported[key] - events);
      }
    }
    // The busiest swarms (and the current one) go in this beacon; any others wait for the next.
    const ranked = [...this.#swarms].sort(([a, x], [b, y]) => Number(b === last) - Number(a === last) || y.httpBytes + y.peerBytes + y.cacheBytes - x.httpBytes - x.peerBytes - x.cacheBytes);
    const swarms = ranked.slice(0, MAX_BEACON_SWARMS).map(([swarm, bytes]): BeaconSwarm => {
      this.#swarms.delete(swarm);
      for (const key of BYTE_KEYS) this.#reported[key] += bytes[key];
      return { swarm, ...bytes };
    });
    if (last !== null && !final) this.#bytesOf(last);
    const stallsMs = this.#stallsMs;
    this.#stallsMs = [];
    const counts: BeaconCounts = {
      startupMs: this.#startupMs,
      stallsMs,
      peerFallbacks: stats.peerFallbacks - this.#reported.peerFallbacks,
      integrityFailures: this.#integrityFailures,
      uploadedBytes: stats.uploadedBytes - this.#reported.uploadedBytes,
      connectedPeers: stats.connectedPeers,
      swarms,
    };
    this.#reported.peerFallbacks = stats.peerFallbacks;
    this.#reported.uploadedBytes = stats.uploadedBytes;
    this.#integrityFailures = 0;
    return counts;
  }

  destroy(): void {
    this.#events.off('segment-loaded', this.#onSegment);
    this.#events.off('error', this.#onError);
    this.#unwatch();
  }

  #bytesOf(swarm: string): Bytes {
    let bytes = this.#swarms.get(swarm);
    if (bytes === undefined) this.#swarms.set(swarm, (bytes = { httpBytes: 0, peerBytes: 0, cacheBytes: 0 }));
    return bytes;
  }

  #unwatch(): void {
    this.#media?.removeEventListener('playing', this.#onPlaying);
    this.#media?.removeEventListener('waiting', this.#onWaiting);
    this.#media = null;
  }

  readonly #onSegment = (event: PeerCDNEvents['segment-loaded']): void => {
    this.#bytesOf(event.swarmId)[SOURCE_KEY[event.source]] += event.byteLength;
    this.#lastSwarm = event.swarmId;
  };

  readonly #onError = (error: PeerCDNEvents['error']): void => {
    if (error.code === 'segment-corrupt') this.#integrityFailures += 1;
  };

  // Playing: the first time ends startup, later ones end a stall.
  readonly #onPlaying = (): void => {
    this.#startupMs ??= Math.round(this.#nowMs() - (this.#startedAtMs ?? 0));
    this.#endStall();
  };

  #endStall(): void {
    if (this.#stallStartMs === null) return;
    const stalls = this.#stallsMs;
    const ms = Math.round(this.#nowMs() - this.#stallStartMs);
    // Past the beacon's limit, further stalls of the interval add to the last one.
    if (stalls.length < MAX_BEACON_STALLS) stalls.push(ms);
    else stalls[MAX_BEACON_STALLS - 1] = (stalls[MAX_BEACON_STALLS - 1] ?? 0) + ms;
    this.#stallStartMs = null;
  }

  // Waiting after playback started, and not for a seek, is a stall.
  readonly #onWaiting = (): void => {
    if (this.#startupMs !== null && this.#media?.seeking === false) this.#stallStartMs ??= this.#nowMs();
  };
}

