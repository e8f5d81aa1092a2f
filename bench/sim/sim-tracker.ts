// The modelled tracker: the real tracker core (tracker/core.ts, socket-free) with the running
// tracker's default settings, and per viewer a tracker client that speaks the WebTorrent WebSocket
// protocol to it as bittorrent-tracker's client does (announce with offers every interval, answer
// relayed offers, `peer` for both sides of a signalled pair, `update` from announce replies), with
// each frame delayed by the viewer's latency. WebRTC negotiation is modelled by sim-channel.
import type {
  TrackerClient,
  TrackerClientFactory,
  TrackerClientOptions,
  TrackerUpdate,
} from '../../lib/swarm/tracker-client.ts';
import type { SignalledPeer } from '../../lib/swarm/tracker-client.ts';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';
import { createTrackerCore } from '../../tracker/core-from-config.ts';
import type { TrackerCore } from '../../tracker/core.ts';
import type { OutgoingFrame } from '../../tracker/protocol.ts';
import type { TrackerConnection } from '../../tracker/swarm.ts';
import { SimChannelEnd, type ChannelContext } from './sim-channel.ts';

// bittorrent-tracker's WebSocket client sends at most this many offers per announce.
const MAX_OFFERS = 5;
// Creating an offer or an answer gathers ICE candidates first (trickle off).
const GATHER_MS = 100;
// Offers unanswered this long are dropped (bittorrent-tracker-client.ts UNANSWERED_OFFER_MS).
const OFFER_LIFETIME_MS = 20_000;
// The tracker core's expiry sweep, as the server runs it.
const SWEEP_MS = 30_000;
const TRACKER_URL = 'wss://tracker.sim';

interface PendingOffer {
  readonly client: SimTrackerClient;
  readonly createdAtMs: number;
}

const hexToText = (hex: string): string => {
  let out = '';
  for (let i = 0; i + 1 < hex.length; i += 2) out += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return out;
};
const textToHex = (text: string): string =>
  Array.from(text)
    .map((c) => c.charCodeAt(0).toString(16).padStart(2, '0'))
    .join('');

/** The tracker every simulated viewer announces to, and the message counts per viewer. */
export class SimTracker {
  readonly core: TrackerCore;
  readonly channels: ChannelContext;
  /** Frames to and from the tracker, per viewer node. */
  readonly framesByNode = new Map<number, number>();
  readonly offers = new Map<string, PendingOffer>();
  // Answering ends by offer id, until the answer reaches the offerer.
  readonly answering = new Map<string, SimChannelEnd>();
  #nextConnectionId = 1;
  readonly #sweep: ReturnType<typeof setInterval>;

  /**
   * What-if: a client with free peer slots announces again after this many seconds instead of the
   * tracker's interval (null: as bittorrent-tracker's client, the tracker's interval).
   */
  readonly refillSeconds: number | null;

  constructor(channels: ChannelContext, random: () => number, refillSeconds: number | null = null) {
    this.channels = channels;
    this.refillSeconds = refillSeconds;
    this.core = createTrackerCore(DEFAULT_TRACKER_CONFIG, { nowMs: () => channels.clock.nowMs, random });
    this.#sweep = setInterval(() => this.core.sweep(), SWEEP_MS);
  }

  /** The tracker client factory of one viewer (its node in the network, its randomness). */
  clientsFor(node: number, random: () => number): TrackerClientFactory {
    return (options) => new SimTrackerClient(this, node, random, options);
  }

  countFrame(node: number): void {
    this.framesByNode.set(node, (this.framesByNode.get(node) ?? 0) + 1);
  }

  nextConnectionId(): number {
    return this.#nextConnectionId++;
  }

  destroy(): void {
    clearInterval(this.#sweep);
  }
}

type Listener = (...args: never[]) => void;

class SimTrackerClient implements TrackerClient, TrackerConnection {
  readonly id: number;
  readonly #tracker: SimTracker;
  readonly #node: number;
  readonly #random: () => number;
  readonly #options: TrackerClientOptions;
  readonly #infoHash: string;
  readonly #peerId: string;
  readonly #listeners = new Map<string, Listener[]>();
  #announceTimer: ReturnType<typeof setTimeout> | null = null;
  #destroyed = false;

  constructor(tracker: SimTracker, node: number, random: () => number, options: TrackerClientOptions) {
    this.#tracker = tracker;
    this.id = tracker.nextConnectionId();
    this.#node = node;
    this.#random = random;
    this.#options = options;
    this.#infoHash = hexToText(options.infoHashHex);
    this.#peerId = hexToText(options.peerIdHex);
  }

  on(event: string, listener: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }

  start(): void {
    // WebSocket open: one round trip, then the first announce.
    this.#toTracker(2 * this.#latencyMs(), () => this.#announce('started'));
  }

  /** An announce outside the interval (a swarm alone while others are here), as bittorrent-tracker's `update()`. */
  reannounce(): void {
    this.#toTracker(0, () => this.#announce());
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#announceTimer !== null) clearTimeout(this.#announceTimer);
    const core = this.#tracker.core;
    this.#sendFrame({ action: 'announce', info_hash: this.#infoHash, peer_id: this.#peerId, event: 'stopped' });
    this.#tracker.channels.clock.after(this.#latencyMs(), () => core.disconnect(this));
  }

  // TrackerConnection: a frame from the core reaches this client after the viewer's latency.
  send(frame: OutgoingFrame): void {
    const text = typeof frame === 'string' ? frame : frame.join('');
    this.#tracker.countFrame(this.#node);
    this.#tracker.channels.clock.after(this.#latencyMs(), () => {
      if (!this.#destroyed) this.#onFrame(JSON.parse(text) as Record<string, unknown>);
    });
  }

  close(): void {
    this.destroy();
  }

  #emit(event: string, value: unknown): void {
    for (const listener of this.#listeners.get(event) ?? []) (listener as (v: unknown) => void)(value);
  }

  #latencyMs(): number {
    return this.#tracker.channels.network.link(this.#node).accessLatencyMs + 10;
  }

  #toTracker(delayMs: number, action: () => void): void {
    this.#tracker.channels.clock.after(delayMs, () => {
      if (!this.#destroyed) action();
    });
  }

  #sendFrame(message: Record<string, unknown>): void {
    this.#tracker.countFrame(this.#node);
    const text = JSON.stringify(message);
    this.#tracker.channels.clock.after(this.#latencyMs(), () => this.#tracker.core.handle(text, this));
  }

  #announce(event?: 'started'): void {
    if (this.#announceTimer !== null) clearTimeout(this.#announceTimer);
    this.#announceTimer = null;
    const parameters = this.#options.getAnnounceParameters();
    const offers: { offer_id: string; offer: { type: 'offer'; sdp: string } }[] = [];
    const { clock } = this.#tracker.channels;
    for (let i = 0; i < Math.min(MAX_OFFERS, parameters.numwant); i++) {
      const offerId = this.#randomId();
      this.#tracker.offers.set(offerId, { client: this, createdAtMs: clock.nowMs });
      clock.after(OFFER_LIFETIME_MS, () => this.#tracker.offers.delete(offerId));
      offers.push({ offer_id: offerId, offer: { type: 'offer', sdp: 'v=0 sim' } });
    }
    // The client gathers its offers before it sends the announce.
    this.#toTracker(offers.length > 0 ? GATHER_MS : 0, () =>
      this.#sendFrame({
        action: 'announce',
        info_hash: this.#infoHash,
        peer_id: this.#peerId,
        numwant: parameters.numwant,
        uploaded: parameters.uploaded,
        downloaded: parameters.downloaded,
        left: parameters.left,
        ...(event === undefined ? {} : { event }),
        offers,
      }),
    );
  }

  #onFrame(message: Record<string, unknown>): void {
    if (typeof message['interval'] === 'number') {
      if (this.#announceTimer !== null) clearTimeout(this.#announceTimer);
      // Asking the swarm whether it wants peers would take offers from its budget: every viewer
      // announces again (with offers only if it wants peers then).
      const refill = this.#tracker.refillSeconds;
      const seconds = refill === null ? message['interval'] : Math.min(refill, message['interval']);
      this.#announceTimer = setTimeout(() => this.#announce(), seconds * 1000);
    }
    if (typeof message['complete'] === 'number' && typeof message['incomplete'] === 'number') {
      const update: TrackerUpdate = {
        announce: TRACKER_URL,
        complete: message['complete'],
        incomplete: message['incomplete'],
      };
      this.#emit('update', update);
    }
    const offerId = message['offer_id'];
    const fromPeerId = message['peer_id'];
    if (typeof offerId !== 'string' || typeof fromPeerId !== 'string') return;
    if (message['offer'] !== undefined) this.#onOffer(offerId, fromPeerId);
    else if (message['answer'] !== undefined) this.#onAnswer(offerId, fromPeerId);
  }

  #onOffer(offerId: string, fromPeerId: string): void {
    // As bittorrent-tracker's client in lib/: an offer the swarm refuses makes no peer.
    if (this.#options.acceptsOffer?.(fromPeerId) === false) return;
    const channels = this.#tracker.channels;
    const end = new SimChannelEnd(channels, this.#node, false);
    end.id = textToHex(fromPeerId);
    this.#emit('peer', end satisfies SignalledPeer);
    // The answer is sent once gathered, unless the swarm refused the peer meanwhile.
    this.#toTracker(GATHER_MS, () => {
      if (end.destroyed) return;
      this.#tracker.answering.set(offerId, end);
      channels.clock.after(OFFER_LIFETIME_MS, () => this.#tracker.answering.delete(offerId));
      this.#sendFrame({
        action: 'announce',
        info_hash: this.#infoHash,
        peer_id: this.#peerId,
        to_peer_id: fromPeerId,
        answer: { type: 'answer', sdp: 'v=0 sim' },
        offer_id: offerId,
      });
    });
  }

  #onAnswer(offerId: string, fromPeerId: string): void {
    const pending = this.#tracker.offers.get(offerId);
    const answerer = this.#tracker.answering.get(offerId);
    if (pending?.client !== this || answerer === undefined) return;
    this.#tracker.offers.delete(offerId);
    this.#tracker.answering.delete(offerId);
    const end = new SimChannelEnd(this.#tracker.channels, this.#node, true);
    end.id = textToHex(fromPeerId);
    this.#emit('peer', end satisfies SignalledPeer);
    if (!end.destroyed) SimChannelEnd.connect(this.#tracker.channels, end, answerer);
  }

  #randomId(): string {
    let id = '';
    for (let i = 0; i < 20; i++) id += String.fromCharCode(97 + Math.floor(this.#random() * 26));
    return id;
  }
}
