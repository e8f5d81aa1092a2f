// What a viewer's beacon says: byte deltas by source, stalls and startup from the media element,
// fallbacks and integrity failures, all counted since the previous beacon.
import type { PeerCDNEvents, PeerCDNStats } from '../api/events.ts';
import type { TypedEmitter } from '../api/typed-emitter.ts';
import { MAX_BEACON_STALLS, type BeaconSwarm } from '../shared/beacon.ts';

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

/** Counts between beacons; `take()` returns the deltas and starts the next interval. */
export class BeaconCounters {
  readonly #events: TypedEmitter<PeerCDNEvents>;
  readonly #stats: () => PeerCDNStats;
  readonly #nowMs: () => number;
  // The swarm (rendition) of the latest segment: an interval's bytes are reported under it. The
  // engine's totals are what counts (they include aborted HTTP loads and the peer part of
  // HTTP-resumed segments); splitting them by segment events cost bytes no operator needs.
  #swarm: string | null = null;
  // The engine's cumulative counters as of the previous beacon.
  #reported = { httpBytes: 0, p2pBytes: 0, cacheHitBytes: 0, uploadedBytes: 0, peerFallbacks: 0 };
  #integrityFailures = 0;
  #stallsMs: number[] = [];
  #stallStartMs: number | null = null;
  // When attach(hls) first gave a media source: startup is counted from there.
  #startedAtMs: number | null = null;
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
    // Before the first segment there is no swarm to report under: everything waits (all zeros).
    const was = this.#swarm === null ? stats : this.#reported;
    this.#reported = was === stats ? this.#reported : stats;
    const stallsMs = this.#stallsMs;
    this.#stallsMs = [];
    const integrityFailures = this.#integrityFailures;
    this.#integrityFailures = 0;
    return {
      startupMs: this.#startupMs,
      stallsMs,
      peerFallbacks: stats.peerFallbacks - was.peerFallbacks,
      integrityFailures,
      uploadedBytes: stats.uploadedBytes - was.uploadedBytes,
      connectedPeers: stats.connectedPeers,
      swarms:
        this.#swarm === null
          ? []
          : [{ swarm: this.#swarm, httpBytes: stats.httpBytes - was.httpBytes, peerBytes: stats.p2pBytes - was.p2pBytes, cacheBytes: stats.cacheHitBytes - was.cacheHitBytes }],
    };
  }

  destroy(): void {
    this.#events.off('segment-loaded', this.#onSegment);
    this.#events.off('error', this.#onError);
    this.#unwatch();
  }

  #unwatch(): void {
    this.#media?.removeEventListener('playing', this.#onPlaying);
    this.#media?.removeEventListener('waiting', this.#onWaiting);
    this.#media = null;
  }

  readonly #onSegment = (event: PeerCDNEvents['segment-loaded']): void => {
    this.#swarm = event.swarmId;
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
