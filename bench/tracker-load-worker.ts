// One load-generator process of `npm run bench -- tracker`: holds its share of the peers, answers
// every offer they receive and drives its share of the announce rate. Separate processes keep the
// generator from being the bottleneck, and its sockets off the tracker process's open-file limit.
// Commands arrive over IPC from tracker-load.ts; every loop is bounded in count and time.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { seededRandom } from './seeded-random.ts';
import { announceFrame, answerFrame } from './tracker-load-frames.ts';

export interface WorkerPeerSpec {
  readonly peerId: string;
  readonly infoHash: string;
}

export type WorkerCommand =
  | { readonly type: 'join'; readonly url: string; readonly peers: readonly WorkerPeerSpec[] }
  | { readonly type: 'phase'; readonly ratePerSecond: number; readonly seconds: number; readonly seed: number }
  | { readonly type: 'leave' };

export type WorkerReply =
  | { readonly type: 'joined'; readonly connected: number; readonly failed: number; readonly answered: number }
  | {
      readonly type: 'phase-done';
      readonly latenciesMs: number[];
      readonly sent: number;
      readonly skipped: number;
      readonly loopDelayMs: { readonly p99: number; readonly max: number };
    }
  | { readonly type: 'left' };

interface LoadPeer {
  readonly spec: WorkerPeerSpec;
  socket: WebSocket | null;
  sentAtMs: number | null;
}

const JOIN_BATCH = 200;
const JOIN_TIMEOUT_MS = 120_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const peers: LoadPeer[] = [];
let latencies: number[] = [];
let serial = 0;

function send(peer: LoadPeer, frame: string): void {
  if (peer.socket?.readyState === WebSocket.OPEN) peer.socket.send(frame);
}

function announce(peer: LoadPeer): void {
  peer.sentAtMs = performance.now();
  send(peer, announceFrame(peer.spec.infoHash, peer.spec.peerId, serial++));
}

function onMessage(peer: LoadPeer, data: unknown): void {
  const message = JSON.parse(String(data)) as Record<string, unknown>;
  if (message['offer'] !== undefined) {
    send(peer, answerFrame(peer.spec.infoHash, peer.spec.peerId, message['peer_id'], message['offer_id']));
  } else if (message['interval'] !== undefined && peer.sentAtMs !== null) {
    latencies.push(performance.now() - peer.sentAtMs);
    peer.sentAtMs = null;
  }
}

function connect(url: string, peer: LoadPeer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.on('message', (data) => onMessage(peer, data));
    socket.once('open', () => {
      peer.socket = socket;
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function join(url: string, specs: readonly WorkerPeerSpec[]): Promise<WorkerReply> {
  latencies = [];
  let connected = 0;
  let failed = 0;
  const started = performance.now();
  for (let start = 0; start < specs.length; start += JOIN_BATCH) {
    const batch = specs.slice(start, start + JOIN_BATCH).map((spec) => ({ spec, socket: null, sentAtMs: null }));
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

async function phase(ratePerSecond: number, seconds: number, seed: number): Promise<WorkerReply> {
  const random = seededRandom(seed);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  latencies = [];
  const started = performance.now();
  let sent = 0;
  let skipped = 0;
  while (performance.now() - started < seconds * 1000 && peers.length > 0) {
    const due = Math.floor(((performance.now() - started) / 1000) * ratePerSecond) - sent;
    for (let i = 0; i < due; i++) {
      const peer = peers[Math.floor(random() * peers.length)] as LoadPeer;
      sent += 1;
      if (peer.sentAtMs !== null) {
        skipped += 1; // still waiting for its previous reply: the tracker is behind
        continue;
      }
      announce(peer);
    }
    await sleep(2);
  }
  await sleep(1000); // replies still in flight
  for (const peer of peers) peer.sentAtMs = null;
  loopDelay.disable();
  return {
    type: 'phase-done',
    latenciesMs: latencies,
    sent,
    skipped,
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
  if (command.type === 'join') reply(join(command.url, command.peers));
  else if (command.type === 'phase') reply(phase(command.ratePerSecond, command.seconds, command.seed));
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
