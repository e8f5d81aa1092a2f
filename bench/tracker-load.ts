// `npm run bench -- tracker`: a WebTorrent-protocol load generator against a tracker process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { percentile } from './figures.ts';
import { processTreeUsage } from './process-usage.ts';
import { seededRandom } from './seeded-random.ts';

export const TRACKER_LOAD_HELP = `Usage: npm run bench -- tracker [options]

Starts a tracker process on 127.0.0.1, connects K WebSocket peers over M swarms (the first swarm
holds --huge-fraction of them: a live event), then drives announces (5 offers each, every relayed
offer answered) at rising rates. Reports join rate, announces/s achieved, p50/p99 announce latency,
tracker CPU per announce, RSS per peer and RSS after everyone left.

  --tracker peercdn|reference   peercdn-tracker (dist/tracker/cli.js) or bittorrent-tracker's server
  --peers K          connected peers (default 2000; the open-file limit bounds it)
  --swarms M         swarms (default 10)
  --huge-fraction F  share of peers in the first swarm (default 0.5)
  --rates LIST       announces per second, comma separated (default 250,500,1000)
  --phase-seconds S  seconds per rate (default 10)
  --seed X           (default 1)`;

const REPO = fileURLToPath(new URL('../', import.meta.url));
const OFFERS_PER_ANNOUNCE = 5;
const SDP = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:${'x'.repeat(24)}\r\na=fingerprint:sha-256 ${'AB:'.repeat(31)}AB\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n`;

interface LoadPeer {
  readonly socket: WebSocket;
  readonly peerId: string;
  readonly infoHash: string;
  sentAtMs: number | null;
}

const wireId = (prefix: string, n: number): string => `${prefix}${n.toString(36)}`.padEnd(20, '.').slice(0, 20);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function startTrackerProcess(kind: 'peercdn' | 'reference'): Promise<{ child: ChildProcess; url: string }> {
  const args = kind === 'peercdn' ? [`${REPO}dist/tracker/cli.js`, '--port', '0', '--host', '127.0.0.1'] : ['--import', 'tsx', `${REPO}bench/reference-tracker.ts`, '0'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: REPO });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`tracker exited with ${code}`)));
    lines.on('line', (line) => {
      try {
        const message = JSON.parse(line) as { url?: string };
        if (message.url !== undefined) resolve(message.url);
      } catch {
        // not a log line
      }
    });
  });
  return { child, url };
}

function announce(peer: LoadPeer, now: number): void {
  peer.sentAtMs = now;
  peer.socket.send(
    JSON.stringify({
      action: 'announce',
      info_hash: peer.infoHash,
      peer_id: peer.peerId,
      numwant: OFFERS_PER_ANNOUNCE,
      uploaded: 0,
      downloaded: 0,
      left: 1,
      offers: Array.from({ length: OFFERS_PER_ANNOUNCE }, (_, i) => ({ offer_id: wireId(`o${i}`, now % 1e9), offer: { type: 'offer', sdp: SDP } })),
    }),
  );
}

export async function runTrackerLoad(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      tracker: { type: 'string', default: 'peercdn' },
      peers: { type: 'string', default: '2000' },
      swarms: { type: 'string', default: '10' },
      'huge-fraction': { type: 'string', default: '0.5' },
      rates: { type: 'string', default: '250,500,1000' },
      'phase-seconds': { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(TRACKER_LOAD_HELP);
    return;
  }
  const kind = values.tracker === 'reference' ? 'reference' : 'peercdn';
  const peerCount = Math.min(19_000, Math.max(2, Number(values.peers)));
  const swarmCount = Math.max(1, Number(values.swarms));
  const hugeFraction = Math.min(1, Math.max(0, Number(values['huge-fraction'])));
  const rates = values.rates.split(',').map(Number).filter((r) => r > 0 && r <= 20_000);
  const phaseSeconds = Math.min(120, Math.max(1, Number(values['phase-seconds'])));
  const random = seededRandom(Number(values.seed));
  const { child, url } = await startTrackerProcess(kind);
  const pid = child.pid ?? -1;
  const peers: LoadPeer[] = [];
  try {
    await sleep(500);
    const idle = processTreeUsage(pid);
    const latencies: number[] = [];
    const onMessage = (peer: LoadPeer) => (data: unknown) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (message['offer'] !== undefined) {
        peer.socket.send(JSON.stringify({ action: 'announce', info_hash: peer.infoHash, peer_id: peer.peerId, to_peer_id: message['peer_id'], offer_id: message['offer_id'], answer: { type: 'answer', sdp: SDP } }));
      } else if (message['interval'] !== undefined && peer.sentAtMs !== null) {
        latencies.push(performance.now() - peer.sentAtMs);
        peer.sentAtMs = null;
      }
    };
    // Join phase: connect and announce once each, 200 at a time.
    const joinStarted = performance.now();
    for (let start = 0; start < peerCount; start += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, peerCount - start) }, async (_, j) => {
          const n = start + j;
          const swarm = random() < hugeFraction ? 0 : 1 + Math.floor(random() * Math.max(1, swarmCount - 1));
          const socket = new WebSocket(url, { perMessageDeflate: false });
          const peer: LoadPeer = { socket, peerId: wireId('p', n), infoHash: wireId('swarm', swarm), sentAtMs: null };
          socket.on('message', onMessage(peer));
          socket.on('error', () => undefined);
          await new Promise<void>((resolve, reject) => {
            socket.once('open', () => resolve());
            socket.once('error', reject);
          });
          peers.push(peer);
          announce(peer, performance.now());
        }),
      );
    }
    while (latencies.length < peerCount && performance.now() - joinStarted < 120_000) await sleep(50);
    const joinSeconds = (performance.now() - joinStarted) / 1000;
    await sleep(1000);
    const joined = processTreeUsage(pid);
    const phases = [];
    for (const rate of rates) {
      latencies.length = 0;
      const before = processTreeUsage(pid);
      const started = performance.now();
      let sent = 0;
      let skipped = 0;
      while (performance.now() - started < phaseSeconds * 1000) {
        const due = Math.floor(((performance.now() - started) / 1000) * rate) - sent;
        for (let i = 0; i < due; i++) {
          const peer = peers[Math.floor(random() * peers.length)] as LoadPeer;
          sent += 1;
          if (peer.sentAtMs !== null) {
            skipped += 1; // still waiting for its previous reply: the tracker is behind
            continue;
          }
          announce(peer, performance.now());
        }
        await sleep(5);
      }
      await sleep(1000);
      const after = processTreeUsage(pid);
      const answered = latencies.length;
      phases.push({
        targetAnnouncesPerSecond: rate,
        achievedAnnouncesPerSecond: answered / phaseSeconds,
        skippedBecauseBehind: skipped,
        latencyMs: answered === 0 ? null : { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
        trackerCpuMsPerAnnounce: answered === 0 ? null : ((after.cpuSeconds - before.cpuSeconds) * 1000) / answered,
      });
      console.log(`rate ${rate}/s: achieved ${(answered / phaseSeconds).toFixed(0)}/s, p50 ${phases.at(-1)?.latencyMs?.p50.toFixed(1)} ms, p99 ${phases.at(-1)?.latencyMs?.p99.toFixed(1)} ms, CPU ${phases.at(-1)?.trackerCpuMsPerAnnounce?.toFixed(3)} ms/announce`);
    }
    for (const peer of peers) peer.socket.terminate();
    await sleep(3000);
    const left = processTreeUsage(pid);
    const result = {
      kind: 'tracker-load',
      tracker: kind,
      date: new Date().toISOString(),
      options: { peers: peerCount, swarms: swarmCount, hugeFraction, rates, phaseSeconds },
      joinPerSecond: peerCount / joinSeconds,
      rssIdleBytes: idle.rssBytes,
      rssJoinedBytes: joined.rssBytes,
      rssPerPeerBytes: (joined.rssBytes - idle.rssBytes) / peerCount,
      rssAfterLeaveBytes: left.rssBytes,
      phases,
    };
    console.log(`${kind}: ${peerCount} peers joined at ${result.joinPerSecond.toFixed(0)}/s; RSS ${(idle.rssBytes / 1e6).toFixed(1)} MB idle → ${(joined.rssBytes / 1e6).toFixed(1)} MB joined (${(result.rssPerPeerBytes / 1024).toFixed(1)} KiB/peer) → ${(left.rssBytes / 1e6).toFixed(1)} MB after all left`);
    mkdirSync(`${REPO}bench/results`, { recursive: true });
    const file = `${REPO}bench/results/tracker-${kind}-k${peerCount}-${result.date.replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written: ${file}`);
  } finally {
    for (const peer of peers) peer.socket.terminate();
    child.kill('SIGTERM');
  }
}
