import Client from 'bittorrent-tracker/client';
import type { TrackerClient, TrackerClientFactory, TrackerClientOptions } from './tracker-client.ts';

/**
 * Unanswered offers are destroyed after this long. bittorrent-tracker's client keeps each one (an
 * RTCPeerConnection, which Chrome frees slowly) for 50 s; an answer normally arrives within the
 * two sides' ICE gathering (simple-peer gives up gathering after 5 s each), so 20 s is ample.
 */
export const UNANSWERED_OFFER_MS = 20_000;
const OFFER_SWEEP_MS = 5_000;

/**
 * The announce interval a tracker may set, in ms. bittorrent-tracker's client announces every
 * `interval` seconds a tracker answers, whatever it is: 0.001 (or a string, NaN: a 0-ms timer) made it
 * announce about every millisecond, and a huge one overflows the browser's timer to the same. A
 * tracker gets at least 10 s (bittorrent-tracker's own WebSocket default is 30 s, peercdn-tracker
 * says 120 s) and at most an hour; an answer that is not a number leaves the client's default.
 */
export const MIN_ANNOUNCE_INTERVAL_MS = 10_000;
export const MAX_ANNOUNCE_INTERVAL_MS = 3_600_000;

/** A tracker's announce interval within [MIN_ANNOUNCE_INTERVAL_MS, MAX_ANNOUNCE_INTERVAL_MS]; undefined (the default) when not a number. */
export function boundedAnnounceIntervalMs(intervalMs: unknown): number | undefined {
  if (typeof intervalMs !== 'number' || Number.isNaN(intervalMs)) return undefined;
  return Math.min(MAX_ANNOUNCE_INTERVAL_MS, Math.max(MIN_ANNOUNCE_INTERVAL_MS, intervalMs));
}

/** What `guardTrackers` changes on each of bittorrent-tracker's trackers (`client._trackers[i]`). */
interface GuardedTracker {
  setInterval: (intervalMs: unknown) => unknown;
  _onAnnounceResponse: (data: { offer?: unknown; peer_id?: unknown; info_hash?: unknown } | null) => unknown;
  readonly client?: { readonly _infoHashBinary?: unknown };
}

/**
 * Guard each of bittorrent-tracker's trackers against what a tracker answers:
 * - the announce interval it sets is bounded (see `boundedAnnounceIntervalMs`);
 * - the remote offers `accepts` refuses are dropped from the answers it handles, before the client
 *   creates a peer for them (the rest of such an answer, counts and interval, is handled as it came).
 *   The client creates an RTCPeerConnection for every relayed offer, and a swarm at its peer cap or
 *   facing a banned id could only destroy it again: a tracker relaying thousands of offers made
 *   thousands of connections. Only offers for the tracker's own swarm are asked about: the clients
 *   of a page share one socket per tracker URL, and every client's trackers see every answer on it.
 * A tracker not shaped as expected is left alone.
 */
export function guardTrackers(trackers: unknown, accepts?: (remotePeerId: string) => boolean): void {
  for (const tracker of Array.isArray(trackers) ? (trackers as (Partial<GuardedTracker> | null)[]) : []) {
    const { setInterval, _onAnnounceResponse: handle } = tracker ?? {};
    const infoHash = tracker?.client?._infoHashBinary;
    if (typeof setInterval === 'function')
      (tracker as GuardedTracker).setInterval = (intervalMs) =>
        setInterval.call(tracker, boundedAnnounceIntervalMs(intervalMs));
    if (accepts && typeof handle === 'function' && typeof infoHash === 'string')
      (tracker as GuardedTracker)._onAnnounceResponse = (data) =>
        handle.call(
          tracker,
          data?.offer != null && data.info_hash === infoHash && !accepts(String(data.peer_id))
            ? { ...data, offer: null }
            : data,
        );
  }
}

/** An offer in bittorrent-tracker's WebSocket tracker table (`WebSocketTracker.peers`: offer id → peer). */
interface PendingOffer {
  trackerTimeout?: unknown;
  destroy(): void;
}

/**
 * Destroy the offers that have waited `timeoutMs` for an answer, in the offer tables of
 * bittorrent-tracker's trackers (`client._trackers[i].peers`, deleted there once answered).
 * `firstSeenMs` remembers when a sweep first saw each offer. Anything not shaped as expected is
 * left alone, so a changed client falls back to its own 50-s timeout. Returns how many it destroyed.
 */
export function sweepUnansweredOffers(
  trackers: unknown,
  firstSeenMs: WeakMap<object, number>,
  nowMs: number,
  timeoutMs: number = UNANSWERED_OFFER_MS,
): number {
  let destroyed = 0;
  for (const tracker of Array.isArray(trackers) ? (trackers as unknown[]) : []) {
    const table = (tracker as { peers?: Record<string, unknown> } | null)?.peers ?? {};
    for (const offerId in table) {
      const offer = table[offerId] as Partial<PendingOffer> | null;
      if (typeof offer?.destroy !== 'function') continue;
      const seenMs = firstSeenMs.get(offer);
      if (seenMs === undefined) firstSeenMs.set(offer, nowMs);
      else if (nowMs - seenMs >= timeoutMs) {
        clearTimeout(offer.trackerTimeout as ReturnType<typeof setTimeout>);
        offer.trackerTimeout = null;
        // Deleted before destroy, as the client's own timeout does, so a late answer finds nothing.
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the client's own offer table (a plain object)
        delete table[offerId];
        offer.destroy();
        destroyed++;
      }
    }
  }
  return destroyed;
}

/**
 * The tracker client of the WebTorrent family: WebSocket signalling, WebRTC peers
 * (@thaunknown/simple-peer). `wrtc` is a WebRTC implementation for Node; browsers need none.
 */
export function createBittorrentTrackerClientFactory(wrtc?: unknown): TrackerClientFactory {
  return (options: TrackerClientOptions): TrackerClient => {
    const client = new Client({
      infoHash: options.infoHashHex,
      peerId: options.peerIdHex,
      announce: [...options.announceUrls],
      // Only used by the Node build of the client (HTTP/UDP trackers); required there.
      port: 6881,
      rtcConfig: options.rtcConfig,
      getAnnounceOpts: options.getAnnounceParameters,
      ...(wrtc === undefined ? {} : { wrtc }),
    });
    guardTrackers((client as unknown as { _trackers?: unknown })._trackers, options.acceptsOffer);
    const firstSeenMs = new WeakMap<object, number>();
    let sweepTimer: ReturnType<typeof setInterval> | null = null;
    return {
      on(event: string, listener: (...args: never[]) => void) {
        client.on(event, listener);
        return this;
      },
      start() {
        client.start();
        sweepTimer ??= setInterval(() => {
          sweepUnansweredOffers((client as unknown as { _trackers?: unknown })._trackers, firstSeenMs, Date.now());
        }, OFFER_SWEEP_MS);
      },
      reannounce() {
        client.update();
      },
      destroy() {
        if (sweepTimer !== null) clearInterval(sweepTimer);
        sweepTimer = null;
        client.destroy();
      },
    };
  };
}
