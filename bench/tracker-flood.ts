// The flood of issue 11 against a tracker's protocol core, with real frames and fake sockets:
// honest viewers (one address) form a swarm, then sockets from another address join it and
// announce far over the rate. Measured: the share of honest offers that reach honest viewers.
// peercdn's core runs on a fake clock with the settings given (default: DEFAULT_TRACKER_CONFIG);
// bittorrent-tracker's server (it has no rate limits) through fake sockets. Bounded in count.
import { EventEmitter } from 'node:events';
import { Server } from 'bittorrent-tracker';
import { DEFAULT_TRACKER_CONFIG, type TrackerConfig } from '../tracker/config.ts';
import { createTrackerCore } from '../tracker/core-from-config.ts';
import type { TrackerSnapshot } from '../tracker/core.ts';
import type { OutgoingFrame } from '../tracker/protocol.ts';
import type { TrackerConnection } from '../tracker/swarm.ts';
import { seededRandom } from './seeded-random.ts';
import { answerFrame, announceFrame, OFFERS_PER_ANNOUNCE, wireId } from './tracker-load-frames.ts';

export interface FloodOptions {
  readonly honestPeers: number;
  readonly floodSockets: number;
  /** Announces per second of all flooding sockets together. */
  readonly floodAnnouncesPerSecond: number;
  /** Each honest viewer announces (with 5 offers) this often during the flood. */
  readonly honestAnnounceEveryMs: number;
  readonly floodSeconds: number;
  /** How long the honest swarm exists before the flood. */
  readonly swarmAgeMs: number;
  /** Whether flooding sockets answer the offers they get (an attacker that looks alive). */
  readonly floodAnswers: boolean;
  readonly seed: number;
}

export const ISSUE_FLOOD: FloodOptions = Object.freeze({
  honestPeers: 20,
  floodSockets: 200,
  floodAnnouncesPerSecond: 2000,
  honestAnnounceEveryMs: 2000,
  floodSeconds: 10,
  swarmAgeMs: 30_000,
  floodAnswers: true,
  seed: 1,
});

export interface FloodResult {
  readonly honestOffersSent: number;
  readonly honestOffersToHonest: number;
  readonly honestOffersToFlood: number;
  /** honestOffersToHonest / honestOffersSent. */
  readonly honestShare: number;
  readonly floodAnnounces: number;
  /** The core's counters at the end (peercdn only). */
  readonly snapshot: TrackerSnapshot | null;
}

const STEP_MS = 5;
const HONEST_ADDRESS = '192.0.2.10';
const FLOOD_ADDRESS = '198.51.100.66';
const INFO_HASH = wireId('flood-swarm', 0);

interface FloodTracker {
  deliver(socket: number, frame: string): void;
  settle(): Promise<void>;
  snapshot(): TrackerSnapshot | null;
}

function peercdnTracker(
  config: TrackerConfig,
  sockets: number,
  honestPeers: number,
  clock: { nowMs: number },
  receive: (socket: number, frame: string) => void,
  random: () => number,
): FloodTracker {
  const core = createTrackerCore(config, { nowMs: () => clock.nowMs, random });
  const connections: TrackerConnection[] = Array.from({ length: sockets }, (_, id) => ({
    id,
    address: id < honestPeers ? HONEST_ADDRESS : FLOOD_ADDRESS,
    send: (frame: OutgoingFrame) => receive(id, typeof frame === 'string' ? frame : frame.join('')),
    close: () => undefined,
  }));
  return {
    deliver: (socket, frame) => core.handle(frame, connections[socket] as TrackerConnection),
    settle: () => Promise.resolve(),
    snapshot: () => core.snapshot(),
  };
}

function referenceTracker(
  sockets: number,
  honestPeers: number,
  receive: (socket: number, frame: string) => void,
): FloodTracker {
  const server = new Server({ udp: false, http: false, ws: false, stats: false, trustProxy: false });
  server.on('warning', () => undefined);
  const fakeSockets = Array.from({ length: sockets }, (_, id) => {
    const socket = Object.assign(new EventEmitter(), {
      readyState: 1,
      destroyed: false,
      _socket: { remoteAddress: id < honestPeers ? HONEST_ADDRESS : FLOOD_ADDRESS, remotePort: 10_000 + id },
      send: (data: string, callback?: () => void) => {
        receive(id, data);
        callback?.();
      },
    });
    server.onWebSocketConnection(socket);
    return socket;
  });
  // bittorrent-tracker finds swarms through process.nextTick: its work ends a turn later.
  return {
    deliver: (socket, frame) => fakeSockets[socket]?.emit('message', frame),
    settle: () => new Promise((resolve) => setImmediate(resolve)),
    snapshot: () => null,
  };
}

/** Run the flood; `config` only for peercdn (null runs bittorrent-tracker's server). */
export async function simulateFlood(
  options: FloodOptions,
  config: TrackerConfig | null = DEFAULT_TRACKER_CONFIG,
): Promise<FloodResult> {
  const sockets = options.honestPeers + options.floodSockets;
  const isHonest = (socket: number): boolean => socket < options.honestPeers;
  const peerIds = Array.from({ length: sockets }, (_, n) => wireId(isHonest(n) ? 'honest' : 'flood', n));
  const honestIds = new Set(peerIds.slice(0, options.honestPeers));
  const clock = { nowMs: 0 };
  let counting = false;
  const counts = { honestOffersToHonest: 0, honestOffersToFlood: 0 };
  const pendingAnswers: [number, string][] = [];
  const receive = (socket: number, frame: string): void => {
    if (!frame.includes('"offer":{')) return;
    const message = JSON.parse(frame) as { peer_id: string; offer_id: string };
    if (counting && honestIds.has(message.peer_id)) {
      if (isHonest(socket)) counts.honestOffersToHonest += 1;
      else counts.honestOffersToFlood += 1;
    }
    if (isHonest(socket) || options.floodAnswers)
      pendingAnswers.push([
        socket,
        answerFrame(INFO_HASH, peerIds[socket] as string, message.peer_id, message.offer_id),
      ]);
  };
  const random = seededRandom(options.seed);
  const tracker =
    config === null
      ? referenceTracker(sockets, options.honestPeers, receive)
      : peercdnTracker(config, sockets, options.honestPeers, clock, receive, random);
  let serial = 0;
  const announce = async (socket: number): Promise<void> => {
    tracker.deliver(socket, announceFrame(INFO_HASH, peerIds[socket] as string, serial++));
    await tracker.settle();
    // Answers go back in the same step, as fast as a client could make them.
    while (pendingAnswers.length > 0) {
      const [from, frame] = pendingAnswers.shift() as [number, string];
      tracker.deliver(from, frame);
    }
    await tracker.settle();
  };

  for (let socket = 0; socket < options.honestPeers; socket++) await announce(socket);
  clock.nowMs = options.swarmAgeMs;
  counting = true;
  let honestOffersSent = 0;
  let floodAnnounces = 0;
  const steps = Math.round((options.floodSeconds * 1000) / STEP_MS);
  const floodPerStep = (options.floodAnnouncesPerSecond * STEP_MS) / 1000;
  let floodDue = 0;
  for (let step = 0; step < steps; step++) {
    const stepStartMs = step * STEP_MS;
    floodDue += floodPerStep;
    for (; floodDue >= 1; floodDue -= 1) {
      await announce(options.honestPeers + (floodAnnounces % options.floodSockets));
      floodAnnounces += 1;
    }
    // Each honest viewer at its own phase of the period.
    for (let socket = 0; socket < options.honestPeers; socket++) {
      const phaseMs = Math.floor((socket * options.honestAnnounceEveryMs) / options.honestPeers);
      if ((stepStartMs - phaseMs) % options.honestAnnounceEveryMs < STEP_MS && stepStartMs >= phaseMs) {
        await announce(socket);
        honestOffersSent += OFFERS_PER_ANNOUNCE;
      }
    }
    clock.nowMs += STEP_MS;
  }
  return {
    honestOffersSent,
    ...counts,
    honestShare: honestOffersSent === 0 ? 0 : counts.honestOffersToHonest / honestOffersSent,
    floodAnnounces,
    snapshot: tracker.snapshot(),
  };
}
