// Beacon benchmark: what fleet telemetry costs. Bytes per viewer per minute (the beacon body,
// and the whole HTTP request as Node's fetch sends it), and tracker CPU per beacon: a tracker
// process (its own, measured from /proc) receives beacons of N simulated viewers.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BEACON_VERSION, encodeBeacon, type Beacon } from '../lib/shared/beacon.ts';
import { processTreeUsage } from './process-usage.ts';

export const BEACON_HELP = `Usage: npm run bench -- beacon [--viewers 10000] [--rounds 3] [--concurrency 32]

Sends --rounds beacons from each of --viewers simulated viewers (distinct sessions, 4 swarms) to a
tracker process on 127.0.0.1, --concurrency requests in flight; reports beacon bytes per viewer per
minute at the default 30 s interval and the tracker's CPU time per beacon. Results in bench/results/.`;

const REPO = fileURLToPath(new URL('../', import.meta.url));
const INTERVAL_SECONDS = 30;
const SWARMS = ['ABCDEFGHIJKLMNOPQRS1', 'ABCDEFGHIJKLMNOPQRS2', 'ABCDEFGHIJKLMNOPQRS3', 'ABCDEFGHIJKLMNOPQRS4'];

/** A beacon as a viewer sends it mid-session: one swarm, 30 s of 450 kb/s video, most from peers. */
export function typicalBeacon(viewer: number, sequence: number): Beacon {
  return {
    version: BEACON_VERSION,
    session: `v${viewer.toString(36).padStart(7, '0')}x${Math.floor(viewer * 7919).toString(36)}`.slice(0, 32),
    sequence,
    intervalSeconds: INTERVAL_SECONDS,
    library: '0.1.0',
    region: null,
    height: 360,
    startupMs: 1234,
    stallsMs: [],
    peerFallbacks: 0,
    integrityFailures: 0,
    uploadedBytes: 1_234_567,
    connectedPeers: 7,
    final: false,
    swarms: [
      { swarm: SWARMS[viewer % SWARMS.length] as string, httpBytes: 412_345, peerBytes: 1_312_345, cacheBytes: 0 },
    ],
  };
}

/** The raw bytes of one request as Node's fetch sends this body (headers included), captured by a plain TCP server. */
async function requestBytes(body: string): Promise<number> {
  const server = createServer((socket) => {
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.byteLength;
      const text = chunk.toString('latin1');
      if (text.includes('\r\n\r\n') && bytes >= Buffer.byteLength(body)) {
        socket.end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n');
        server.emit('measured', bytes);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const measured = once(server, 'measured');
  await fetch(`http://127.0.0.1:${port}/beacon`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', Origin: 'https://video.example.com' },
  });
  const [bytes] = (await measured) as [number];
  server.close();
  return bytes;
}

function option(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i === -1 ? fallback : Number(args[i + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 1_000_000)
    throw new Error(`--${name} must be an integer from 1 to 1000000`);
  return value;
}

export async function runBeaconBenchmark(args: readonly string[]): Promise<void> {
  const viewers = option(args, 'viewers', 10_000);
  const rounds = option(args, 'rounds', 3);
  const concurrency = option(args, 'concurrency', 32);
  const body = encodeBeacon(typicalBeacon(12345, 7));
  const bodyBytes = Buffer.byteLength(body);
  const httpBytes = await requestBytes(body);

  const tracker = spawn(
    process.execPath,
    ['--import', 'tsx', `${REPO}tracker/cli.ts`, '--host', '127.0.0.1', '--port', '0', '--beacon-rate', '0'],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      tracker.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /"url":"ws:\/\/([^"]+)"/.exec(output);
        if (match !== null) resolve(`http://${match[1]}`);
      });
      tracker.once('exit', (code) => reject(new Error(`tracker exited (${code})`)));
    });
    const pid = tracker.pid as number;
    let statuses = new Map<number, number>();
    const sendAll = async (round: number): Promise<void> => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < viewers) {
          const viewer = next++;
          const response = await fetch(`${url}/beacon`, {
            method: 'POST',
            body: encodeBeacon(typicalBeacon(viewer, round)),
          });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          await response.arrayBuffer();
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    };
    await sendAll(0); // warm-up round: JIT, sessions created
    statuses = new Map();
    const before = processTreeUsage(pid);
    const startMs = performance.now();
    for (let round = 1; round <= rounds; round++) await sendAll(round);
    const wallSeconds = (performance.now() - startMs) / 1000;
    const after = processTreeUsage(pid);
    const beacons = viewers * rounds;
    const stats = (await (await fetch(`${url}/stats.json`)).json()) as { fleet: { viewers: number; beacons: number } };
    const scrapeStart = processTreeUsage(pid).cpuSeconds;
    const metricsText = await (await fetch(`${url}/metrics`)).text();
    const scrapeCpuMs = (processTreeUsage(pid).cpuSeconds - scrapeStart) * 1000;
    const result = {
      benchmark: 'beacon',
      date: new Date().toISOString(),
      viewers,
      rounds,
      concurrency,
      intervalSeconds: INTERVAL_SECONDS,
      beaconBodyBytes: bodyBytes,
      beaconRequestBytesNodeFetch: httpBytes,
      bodyBytesPerViewerPerMinute: (bodyBytes * 60) / INTERVAL_SECONDS,
      requestBytesPerViewerPerMinute: (httpBytes * 60) / INTERVAL_SECONDS,
      statuses: Object.fromEntries(statuses),
      trackerCpuSeconds: after.cpuSeconds - before.cpuSeconds,
      trackerCpuMicrosecondsPerBeacon: ((after.cpuSeconds - before.cpuSeconds) * 1e6) / beacons,
      trackerSystemCpuShare:
        (after.systemCpuSeconds - before.systemCpuSeconds) / Math.max(1e-9, after.cpuSeconds - before.cpuSeconds),
      beaconsPerSecond: beacons / wallSeconds,
      trackerRssBytes: after.rssBytes,
      fleetViewers: stats.fleet.viewers,
      scrapeBytes: Buffer.byteLength(metricsText),
      scrapeCpuMs,
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(`${REPO}bench/results`, { recursive: true });
    writeFileSync(
      `${REPO}bench/results/beacon-v${viewers}-${result.date.replace(/[:.]/g, '-')}.json`,
      `${JSON.stringify(result, null, 2)}\n`,
    );
  } finally {
    tracker.kill('SIGTERM');
    if (tracker.exitCode === null) await once(tracker, 'exit');
  }
}
