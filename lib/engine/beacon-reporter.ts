// When and how a viewer's beacon goes out: every `beaconIntervalSeconds`, when the page is hidden,
// and a final one on page hide or destroy(); through navigator.sendBeacon, else fetch keepalive.
import type { PeerCDNConfig } from '../api/config.ts';
import type { PeerCDNEvents, PeerCDNStats } from '../api/events.ts';
import type { TypedEmitter } from '../api/typed-emitter.ts';
import { BEACON_VERSION, encodeBeacon } from '../shared/beacon.ts';
import { BeaconCounters } from './beacon-counters.ts';

/** What beacons read from hls.js: the media element (startup, stalls) and the rendition playing. */
export interface BeaconPlayhead {
  readonly media: HTMLMediaElement | null;
  readonly currentLevel?: number;
}

/** peercdn's version, as beacons report it (a test keeps it equal to package.json's). */
export const LIBRARY_VERSION = '0.1.0';

/** Sends one beacon body to the URL; must not throw. */
export type BeaconTransport = (url: string, body: string) => void;

const sendBeacon: BeaconTransport = (url, body) => {
  // sendBeacon survives page unload; a text body is text/plain, so no CORS preflight either way.
  if (globalThis.navigator?.sendBeacon?.(url, body) !== true) {
    fetch(url, { method: 'POST', body, keepalive: true, mode: 'no-cors' }).catch(() => undefined);
  }
};

/** Sends the beacons of one PeerCDN instance; destroy() sends the final one. */
export class BeaconReporter {
  readonly #url: string;
  readonly #config: PeerCDNConfig;
  readonly #counters: BeaconCounters;
  #playhead: BeaconPlayhead | null = null;
  readonly #transport: BeaconTransport;
  readonly #session: string;
  readonly #timer: ReturnType<typeof setInterval>;
  #sequence = 0;
  #done = false;

  constructor(url: string, config: PeerCDNConfig, counters: BeaconCounters, random: () => number, transport: BeaconTransport = sendBeacon) {
    this.#url = url;
    this.#config = config;
    this.#counters = counters;
    this.#transport = transport;
    // Random per instance, unrelated to the peer id: beacons cannot be joined to swarm traffic.
    this.#session = (random().toString(36).slice(2, 14) + random().toString(36).slice(2, 14)).padEnd(8, '0');
    this.#timer = setInterval(() => this.send(false), config.beaconIntervalSeconds * 1000);
    globalThis.addEventListener?.('pagehide', this.#onHide);
    globalThis.document?.addEventListener('visibilitychange', this.#onHide);
  }

  /** Follow this hls.js instance (again when its media element may have changed). */
  watch(playhead: BeaconPlayhead): void {
    this.#playhead = playhead;
    this.#counters.watch(playhead.media);
  }

  /** Send the counts since the previous beacon now; `final` marks the viewer's departure. */
  send(final: boolean): void {
    if (this.#done) return;
    this.#counters.watch(this.#playhead?.media ?? null);
    const counts = this.#counters.take(final);
    // hls.js says -1 before a level is chosen.
    const level = this.#playhead?.currentLevel ?? -1;
    this.#transport(
      this.#url,
      encodeBeacon({
        version: BEACON_VERSION,
        session: this.#session,
        sequence: this.#sequence++,
        intervalSeconds: this.#config.beaconIntervalSeconds,
        library: LIBRARY_VERSION,
        region: this.#config.beaconRegion,
        level: level >= 0 ? level : null,
        ...counts,
        final,
      }),
    );
  }

  destroy(): void {
    this.send(true);
    this.#done = true;
    clearInterval(this.#timer);
    globalThis.removeEventListener?.('pagehide', this.#onHide);
    globalThis.document?.removeEventListener('visibilitychange', this.#onHide);
    this.#counters.destroy();
  }

  // A page that is hidden may never run again (mobile browsers discard it): report now. Leaving
  // it (pagehide, also into the back/forward cache) ends the viewer unless it comes back.
  readonly #onHide = (event: Event): void => {
    if (globalThis.document?.visibilityState === 'hidden') this.send(event.type === 'pagehide');
  };
}

/** Injected for tests; defaults are the page's clock and navigator.sendBeacon. */
export interface BeaconDependencies {
  readonly random: () => number;
  readonly nowMs: () => number;
  readonly transport?: BeaconTransport | undefined;
}

/** The reporter of one instance, or null when beacons are off (no URL) or this viewer is not sampled. */
export function startBeacons(config: PeerCDNConfig, events: TypedEmitter<PeerCDNEvents>, stats: () => PeerCDNStats, dependencies: BeaconDependencies): BeaconReporter | null {
  if (config.beaconUrl === null || dependencies.random() >= config.beaconSampleRate) return null;
  return new BeaconReporter(config.beaconUrl, config, new BeaconCounters(events, stats, dependencies.nowMs), dependencies.random, dependencies.transport);
}
