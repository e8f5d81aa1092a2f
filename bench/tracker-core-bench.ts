// `npm run bench -- tracker --core`: the protocol core alone, no sockets. Fake connections, one
// swarm per size; time spent inside the core per announce (5 offers, every offer answered).
import { EventEmitter } from 'node:events';
import { Server } from 'bittorrent-tracker';
import { TrackerCore } from '../tracker/core.ts';
import type { TrackerConnection } from '../tracker/swarm.ts';
import { seededRandom } from './seeded-random.ts';
import { OFFERS_PER_ANNOUNCE, SDP, wireId } from './tracker-load-frames.ts';

export interface CoreSizeResult {
  readonly swarmPeers: number;
  readonly announces: number;
  /** Time inside the core (announce + its 5 answers) per announce; the harness is not counted. */
  readonly coreMsPerAnnounce: number;
  /** Offers that reached a peer per announce (5 when the swarm has 6 or more peers). */
  readonly offersRelayedPerAnnounce: number;
}

/** A core under test: deliver one frame from a peer; the sink hears who received a frame. */
interface CoreUnderTest {
  deliver(peer: number, frame: string): void;
  /** bittorrent-tracker finds swarms through process.nextTick: its work ends a tick later. */
  readonly asynchronous: boolean;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Sink = (peer: number) => void;

function ourCore(peers: number, sink: Sink, random: () => number): CoreUnderTest {
  const core = new TrackerCore({
    announceIntervalSeconds: 120,
    peerTimeoutMs: 300_000,
    maxMessageBytes: 64 * 1024,
    maxOffersPerAnnounce: 10,
    maxPeersPerConnection: 100,
    maxNumwant: OFFERS_PER_ANNOUNCE,
    nowMs: () => performance.now(),
    random,
  });
  const connections: TrackerConnection[] = Array.from({ length: peers }, (_, id) => ({
    id,
    send: () => sink(id),
    close: () => undefined,
  }));
  return { deliver: (peer, frame) => core.handle(frame, connections[peer] as TrackerConnection), asynchronous: false };
}

function referenceCore(peers: number, sink: Sink): CoreUnderTest {
  const server = new Server({ udp: false, http: false, ws: false, stats: false, trustProxy: false });
  server.on('warning', () => undefined);
  const sockets = Array.from({ length: peers }, (_, id) => {
    const socket = Object.assign(new EventEmitter(), {
      readyState: 1,
      destroyed: false,
      _socket: { remoteAddress: '127.0.0.1', remotePort: 10_000 + id },
      send: (_data: string, callback?: () => void) => {
        sink(id);
        callback?.();
      },
    });
    server.onWebSocketConnection(socket);
    return socket;
  });
  return { deliver: (peer, frame) => sockets[peer]?.emit('message', frame), asynchronous: true };
}

/**
 * Join `swarmPeers` peers to one swarm, then time `announces` announces of random members, each
 * with 5 offers whose receivers answer at once. Bounded: the caller caps sizes and counts.
 */
export async function measureCore(
  kind: 'peercdn' | 'reference',
  swarmPeers: number,
  announces: number,
  seed: number,
): Promise<CoreSizeResult> {
  const random = seededRandom(seed);
  const infoHash = wireId('swarm', 0);
  const peerIds = Array.from({ length: swarmPeers }, (_, n) => wireId('p', n));
  let receivers: number[] = [];
  const sink: Sink = (peer) => receivers.push(peer);
  const core = kind === 'peercdn' ? ourCore(swarmPeers, sink, random) : referenceCore(swarmPeers, sink);
  const announceFrame = (peer: number, serial: number, offers: number): string =>
    JSON.stringify({
      action: 'announce',
      info_hash: infoHash,
      peer_id: peerIds[peer],
      numwant: offers,
      uploaded: 0,
      downloaded: 0,
      left: 1,
      offers: Array.from({ length: offers }, (_, i) => ({
        offer_id: wireId(`o${i}`, serial),
        offer: { type: 'offer', sdp: SDP },
      })),
    });
  // For an asynchronous core the time includes one event-loop turn; its cost alone is subtracted.
  let turnMs = 0;
  if (core.asynchronous) {
    const started = performance.now();
    for (let n = 0; n < 2000; n++) await nextTurn();
    turnMs = (performance.now() - started) / 2000;
  }
  const settle = async (): Promise<void> => {
    if (core.asynchronous) await nextTurn();
  };
  for (let peer = 0; peer < swarmPeers; peer++) {
    core.deliver(peer, announceFrame(peer, peer, 0));
    if (peer % 100 === 99) await settle();
  }
  await settle();
  const warmup = Math.min(2000, announces);
  let coreMs = 0;
  let relayed = 0;
  for (let n = 0; n < warmup + announces; n++) {
    const peer = Math.floor(random() * swarmPeers);
    const frame = announceFrame(peer, n, OFFERS_PER_ANNOUNCE);
    receivers = [];
    const started = performance.now();
    core.deliver(peer, frame);
    await settle();
    let elapsed = performance.now() - started - turnMs;
    // The first send is the announcer's own reply; then the offers, in offer order.
    const targets = receivers.slice(1);
    const answers = targets.map((target, i) =>
      JSON.stringify({
        action: 'announce',
        info_hash: infoHash,
        peer_id: peerIds[target],
        to_peer_id: peerIds[peer],
        offer_id: wireId(`o${i}`, n),
        answer: { type: 'answer', sdp: SDP },
      }),
    );
    const answered = performance.now();
    targets.forEach((target, i) => core.deliver(target, answers[i] as string));
    await settle();
    elapsed += performance.now() - answered - (core.asynchronous ? turnMs : 0);
    if (n >= warmup) {
      coreMs += elapsed;
      relayed += targets.length;
    }
  }
  return {
    swarmPeers,
    announces,
    coreMsPerAnnounce: coreMs / announces,
    offersRelayedPerAnnounce: relayed / announces,
  };
}
