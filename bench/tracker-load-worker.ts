// One load-generator process of `npm run bench -- tracker`: holds its share of the peers, answers
// every offer they receive and drives its share of the announce rate. Separate processes keep the
// generator from being the bottleneck, and its sockets off the tracker process's open-file limit.
// Commands arrive over IPC from tracker-load.ts; every loop is bounded in count and time.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { seededRandom } from './seeded-random.ts';
import { BeaconLoad, type BeaconLoadResult } from './tracker-load-beacons.ts';
import { announceFrame, answerFrame, readOfferStamp } from './tracker-load-frames.ts';

export interface WorkerPeerSpec {
  readonly peerId: string;
  readonly infoHash: string;
}

export type WorkerCommand =
  | { readonly type: 'join'; readonly url: string; readonly node: number; readonly peers: readonly WorkerPeerSpec[] }
  | {
      readonly type: 'phase';
      readonly ratePerSecond: number;
      readonly seconds: number;
      readonly seed: number;
      /** Offers carry their send time and the sender's node, and receivers time them. */
      readonly stampOffers: boolean;
      /** Fleet beacons (POST /beacon to this tracker's ws:// URL) sent alongside, from these viewer numbers. */
      readonly beacons?: BeaconOptions;
    }
  | { readonly type: 'leave' };

export type WorkerReply =
  | { readonly type: 'joined'; readonly connected: number; readonly failed: number; readonly answered: number }
  | {
      readonly type: 'phase-done';
      readonly latenciesMs: number[];
      /** Offer sent → received, split by whether sender and receiver are on the same tracker node. */
      readonly offerLatenciesMs: { readonly sameNode: number[]; readonly crossNode: number[] };
      readonly beacons: BeaconLoadResult | null;
      readonly sent: number;
      readonly skipped: number;
      /** Offers the peers received (each answered) during the phase. */
      readonly offersReceived: number;
      readonly loopDelayMs: { readonly p99: number; readonly max: number };
    }
  | { readonly type: 'left' };

interface BeaconOptions {
  readonly url: string;
  readonly perSecond: number;
  readonly viewers: readonly number[];
}

interface LoadPeer {
  readonly spec: WorkerPeerSpec;
  /** Which tracker node (URL) this peer is connected to. */
  readonly node: number;
  socket: WebSocket | null;
  sentAtMs: number | null;
}

const JOIN_BATCH = 200;
const JOIN_TIMEOUT_MS = 120_000;
const HANDSHAKE_TIMEOUT_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const peers: LoadPeer[] = [];
/** Beacon sequence numbers go on rising from phase to phase (the tracker refuses replays). */
let beaconSequence = 0;
let latencies: number[] = [];
let offerLatencies = { sameNode: [] as number[], crossNode: [] as number[] };
let stampOffers = false;
let offersReceived = 0;
let serial = 0;
/** Wall-clock ms with sub-ms precision, comparable between the load processes on this machine. */
const wallMs = (): number => performance.timeOrigin + performance.now();

function send(peer: LoadPeer, frame: string): void {
  if (peer.socket?.readyState === WebSocket.OPEN) peer.socket.send(frame);
}

function announce(peer: LoadPeer): void {
  peer.sentAtMs = performance.now();
  send(
    peer,
    announceFrame(
      peer.spec.infoHash,
      peer.spec.peerId,
      serial++,
      stampOffers ? { sentMs: wallMs(), node: peer.node } : null,
    ),
  );
}

function onMessage(peer: LoadPeer, data: unknown): void {
  const message = JSON.parse(String(data)) as Record<string, unknown>;
  if (message['offer'] !== undefined) {
    offersReceived += 1;
    const stamp = stampOffers ? readOfferStamp(message['offer']) : null;
    if (stamp !== null)
      (stamp.node === peer.node ? offerLatencies.sameNode : offerLatencies.crossNode).push(wallMs() - stamp.sentMs);
    send(peer, answerFrame(peer.spec.infoHash, peer.spec.peerId, message['peer_id'], message['offer_id']));
  } else if (message['interval'] !== undefined && peer.sentAtMs !== null) {
    latencies.push(performance.now() - peer.sentAtMs);
    peer.sentAtMs = null;
  }
}

function connect(url: string, peer: LoadPeer): Promise<boolean> {
  return new Promise((resolve) => {
    // A tracker out of file descriptors may leave a connection unanswered: count it as failed.
    // wss:// is the bench's own test certificate on 127.0.0.1 (`--tracker peercdn-tls`): not verified.
    const socket = new WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      ...(url.startsWith('wss:') ? { rejectUnauthorized: false } : {}),
    });
    socket.on('message', (data) => onMessage(peer, data));
    socket.once('open', () => {
      peer.socket = socket;
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function join(url: string, node: number, specs: readonly WorkerPeerSpec[]): Promise<WorkerReply> {
  latencies = [];
  let connected = 0;
  let failed = 0;
  const started = performance.now();
  for (let start = 0; start < specs.length; start += JOIN_BATCH) {
    const batch = specs.slice(start, start + JOIN_BATCH).map((spec) => ({ spec, node, socket: null, sentAtMs: null }));
    const opened = await Promise.all(batch.map((peer) => connect(url, peer)));
    batch.forEach((peer, i) => {
      if (opened[i] !== true) {
        failed += 1;
        return;
      }
      connected += 1;
      peers.push(peer);
      announce(peer);
    });
  }
  while (latencies.length < connected && performance.now() - started < JOIN_TIMEOUT_MS) await sleep(20);
  return { type: 'joined', connected, failed, answered: latencies.length };
}

async function phase(
  ratePerSecond: number,
  seconds: number,
  seed: number,
  stamp: boolean,
  beaconOptions: BeaconOptions | undefined,
): Promise<WorkerReply> {
  const beacons =
    beaconOptions === undefined
      ? null
      : new BeaconLoad(beaconOptions.url, beaconOptions.viewers, beaconOptions.perSecond, beaconSequence);
  const random = seededRandom(seed);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  latencies = [];
  offerLatencies = { sameNode: [], crossNode: [] };
  offersReceived = 0;
  stampOffers = stamp;
  const started = performance.now();
  let sent = 0;
  let skipped = 0;
  // A worker with no peers only sends beacons (the benchmark keeps them apart from the announces).
  while (performance.now() - started < seconds * 1000 && (peers.length > 0 || beacons !== null)) {
    const due = peers.length === 0 ? 0 : Math.floor(((performance.now() - started) / 1000) * ratePerSecond) - sent;
    for (let i = 0; i < due; i++) {
      const peer = peers[Math.floor(random() * peers.length)] as LoadPeer;
      sent += 1;
      if (peer.sentAtMs !== null) {
        skipped += 1; // still waiting for its previous reply: the tracker is behind
        continue;
      }
      announce(peer);
    }
    beacons?.tick((performance.now() - started) / 1000);
    await sleep(2);
  }
  await sleep(1000); // replies still in flight
  const beaconResult = beacons === null ? null : await beacons.finish(10_000);
  if (beacons !== null) beaconSequence = beacons.nextSequence;
  for (const peer of peers) peer.sentAtMs = null;
  loopDelay.disable();
  stampOffers = false;
  return {
    type: 'phase-done',
    latenciesMs: latencies,
    offerLatenciesMs: offerLatencies,
    beacons: beaconResult,
    sent,
    skipped,
    offersReceived,
    loopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  };
}

function leave(): void {
  for (const peer of peers) peer.socket?.terminate();
  peers.length = 0;
}

process.on('message', (command: WorkerCommand) => {
  const reply = (result: WorkerReply | Promise<WorkerReply>): void => {
    void Promise.resolve(result).then((value) => process.send?.(value));
  };
  if (command.type === 'join') reply(join(command.url, command.node, command.peers));
  else if (command.type === 'phase')
    reply(phase(command.ratePerSecond, command.seconds, command.seed, command.stampOffers, command.beacons));
  else {
    leave();
    reply({ type: 'left' });
  }
});
// The coordinator is gone (finished, crashed or Ctrl-C): close every socket and exit.
process.once('disconnect', () => {
  leave();
  process.exit(0);
});
process.once('SIGINT', () => undefined); // Ctrl-C reaches the whole group: the coordinator decides.
