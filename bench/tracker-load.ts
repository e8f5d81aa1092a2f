// `npm run bench -- tracker`: WebTorrent-protocol load against peercdn-tracker and bittorrent-tracker's
// server, side by side. The tracker runs as one process; the peers live in worker processes
// (tracker-load-worker.ts); this file only coordinates, measures the tracker process and writes results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_TRACKER_CONFIG } from '../tracker/config.ts';
import { seededRandom } from './seeded-random.ts';
import { measureCore } from './tracker-core-bench.ts';
import { ISSUE_FLOOD, simulateFlood } from './tracker-flood.ts';
import { wireId } from './tracker-load-frames.ts';
import { idleCpuMsPerSecond, joinAll, runPhase, type Phase } from './tracker-load-phase.ts';
import { sleep, stopChildren, TrackerProcess, Worker, type TrackerKind } from './tracker-load-processes.ts';
import type { WorkerPeerSpec } from './tracker-load-worker.ts';

export const TRACKER_LOAD_HELP = `Usage: npm run bench -- tracker [options]

Three modes, each run for both trackers (or --tracker) in the same invocation:

load (default)  K WebSocket peers over M swarms (the first holds --huge-fraction of them: a live
                event), each announcing with 5 offers, every relayed offer answered; then announces
                at each of --rates. Join rate, p50/p99 announce→reply, tracker CPU per announce
                (sockets included), RSS per peer (after GC), heap after everyone left vs idle.
--sweep LIST    one swarm grown through the sizes in LIST (e.g. 100,1000,10000); at each size
                announces at the first of --rates: tracker CPU per announce against swarm size.
--core          no sockets: the protocol core driven with fake connections, one swarm per size
                of --sweep (default 100,1000,10000): core time per announce.
--flood         issue 11's flood against the protocol core with real frames (no sockets; peercdn
                with its default settings on a fake clock): 200 sockets from one address
                announcing 2,000 times/s for 10 s into a swarm of 20 honest peers that announce
                every 2 s; the share of honest offers that reach honest peers.

  --tracker peercdn|reference|both|tls   (default both; tls: peercdn, then peercdn serving wss://
                     with the test certificate, load and sweep modes)
  --peers K          connected peers in load mode (default 2000; at most 19,900: the open-file limit)
  --swarms M         swarms in load mode (default 10)
  --huge-fraction F  share of peers in the first swarm (default 0.5)
  --rates LIST       announces per second, comma separated (default 250,500,1000)
  --phase-seconds S  seconds per rate (default 10, at most 120)
  --workers W        load-generator processes (default 2)
  --core-announces N announces timed per size in --core mode (default 20000)
  --beacon-viewers V load mode: V viewers also POST /beacon every --beacon-interval seconds during
                     each announce phase (issue 12: 10,000 viewers every 30 s; default 0 = none)
  --beacon-interval S  seconds between one viewer's beacons (default 30)
  --tracker-flags=F  Node/V8 flags for the tracker process, space separated, after "=" (e.g.
                     --tracker-flags="--max-semi-space-size=32 --trace-gc"; default none)
  --cpu-prof-dir D   write a CPU profile of the tracker process to D
  --seed X           (default 1)`;

const REPO = fileURLToPath(new URL('../', import.meta.url));
const MAX_PEERS = 19_900;
interface LoadOptions {
  readonly peers: number;
  readonly swarms: number;
  readonly hugeFraction: number;
  readonly rates: readonly number[];
  readonly phaseSeconds: number;
  readonly workers: number;
  readonly seed: number;
  readonly cpuProfileDir: string | null;
  readonly trackerFlags: readonly string[];
  /** Viewers beaconing during the phases, and their interval. */
  readonly beaconViewers: number;
  readonly beaconIntervalSeconds: number;
}

async function loadRun(kind: TrackerKind, options: LoadOptions): Promise<Record<string, unknown>> {
  console.log(`${kind}: load, ${options.peers} peers in ${options.swarms} swarms`);
  const random = seededRandom(options.seed);
  const specs: WorkerPeerSpec[] = Array.from({ length: options.peers }, (_, n) => {
    const swarm = random() < options.hugeFraction ? 0 : 1 + Math.floor(random() * Math.max(1, options.swarms - 1));
    return { peerId: wireId('p', n), infoHash: wireId('swarm', swarm) };
  });
  const tracker = await TrackerProcess.start(kind, options.cpuProfileDir, options.trackerFlags);
  const workers = Array.from({ length: options.workers }, () => new Worker());
  // Beacons come from a worker of their own: its fetches never delay the announces being timed.
  const beaconWorker = options.beaconViewers === 0 ? undefined : new Worker();
  try {
    // Warm-up: 1,000 peers join, announce at 500/s for 3 s and leave, so the idle baseline already
    // holds the code the JIT optimises under load; what the heap holds after everyone left beyond
    // it is then state (leaked peers or swarms), not compiled code.
    await joinAll(
      workers,
      tracker.url,
      Array.from({ length: 1000 }, (_, n) => ({ peerId: wireId('warm', n), infoHash: wireId('warmup', n % 2) })),
    );
    await Promise.all(
      workers.map((worker, w) =>
        worker.run(
          { type: 'phase', ratePerSecond: 500 / workers.length, seconds: 3, seed: w, stampOffers: false },
          60_000,
        ),
      ),
    );
    await Promise.all(workers.map((worker) => worker.run({ type: 'leave' }, 30_000)));
    const idle = await tracker.memoryWhenEmpty();
    const joinStarted = performance.now();
    const joined = await joinAll(workers, tracker.url, specs);
    const joinSeconds = (performance.now() - joinStarted) / 1000;
    await sleep(1000);
    const afterJoin = await tracker.memory();
    const largestSwarm = specs.filter((spec) => spec.infoHash === wireId('swarm', 0)).length;
    console.log(
      `  joined ${joined.connected} (failed ${joined.failed}, largest swarm ~${largestSwarm}) at ${(joined.connected / joinSeconds).toFixed(0)}/s; RSS ${((afterJoin.rssBytes - idle.rssBytes) / joined.connected / 1024).toFixed(1)} KiB/peer`,
    );
    const idleCpu = await idleCpuMsPerSecond([tracker], 5);
    console.log(`  tracker CPU with ${joined.connected} idle peers: ${idleCpu.toFixed(0)} ms/s`);
    const phases: Phase[] = [];
    for (const [i, rate] of options.rates.entries())
      phases.push(
        await runPhase(
          workers,
          { trackers: [tracker], ...(beaconWorker === undefined ? {} : { beaconWorker }) },
          {
            rate,
            seconds: options.phaseSeconds,
            seed: options.seed + i,
            idleMsPerSecond: idleCpu,
            ...(options.beaconViewers === 0
              ? {}
              : {
                  beacons: {
                    viewers: options.beaconViewers,
                    perSecond: options.beaconViewers / options.beaconIntervalSeconds,
                  },
                }),
          },
        ),
      );
    await Promise.all(workers.map((worker) => worker.run({ type: 'leave' }, 30_000)));
    const left = await tracker.memoryWhenEmpty();
    console.log(
      `  heap ${(idle.heapUsedBytes / 1e6).toFixed(1)} MB idle → ${(afterJoin.heapUsedBytes / 1e6).toFixed(1)} MB joined → ${(left.heapUsedBytes / 1e6).toFixed(1)} MB after all left`,
    );
    return {
      tracker: kind,
      peersConnected: joined.connected,
      peersFailed: joined.failed,
      joinAnswered: joined.answered,
      largestSwarmPeers: largestSwarm,
      joinPerSecond: joined.connected / joinSeconds,
      idleCpuMsPerSecond: idleCpu,
      idle,
      joined: afterJoin,
      afterLeave: left,
      rssPerPeerBytes: (afterJoin.rssBytes - idle.rssBytes) / joined.connected,
      heapPerPeerBytes: (afterJoin.heapUsedBytes - idle.heapUsedBytes) / joined.connected,
      heapAfterLeaveVsIdle: left.heapUsedBytes / idle.heapUsedBytes - 1,
      phases,
    };
  } finally {
    for (const worker of workers) worker.stop();
    beaconWorker?.stop();
    await tracker.stop();
  }
}

async function sweepRun(
  kind: TrackerKind,
  sizes: readonly number[],
  rate: number,
  phaseSeconds: number,
  workerCount: number,
  seed: number,
  trackerFlags: readonly string[],
): Promise<Record<string, unknown>> {
  console.log(`${kind}: sweep, one swarm of ${sizes.join(' → ')} peers at ${rate} announces/s`);
  const tracker = await TrackerProcess.start(kind, null, trackerFlags);
  const workers = Array.from({ length: workerCount }, () => new Worker());
  const points = [];
  try {
    let joinedSoFar = 0;
    for (const size of sizes) {
      const specs = Array.from({ length: size - joinedSoFar }, (_, i) => ({
        peerId: wireId('p', joinedSoFar + i),
        infoHash: wireId('swarm', 0),
      }));
      const joined = await joinAll(workers, tracker.url, specs);
      joinedSoFar += joined.connected;
      const idleCpu = await idleCpuMsPerSecond([tracker], 3);
      console.log(` swarm of ${joinedSoFar} (idle CPU ${idleCpu.toFixed(0)} ms/s):`);
      const phase = await runPhase(
        workers,
        { trackers: [tracker] },
        { rate, seconds: phaseSeconds, seed, idleMsPerSecond: idleCpu },
      );
      points.push({ swarmPeers: joinedSoFar, idleCpuMsPerSecond: idleCpu, ...phase });
    }
    await Promise.all(workers.map((worker) => worker.run({ type: 'leave' }, 30_000)));
  } finally {
    for (const worker of workers) worker.stop();
    await tracker.stop();
  }
  return { tracker: kind, ratePerSecond: rate, phaseSeconds, points };
}

async function coreRun(
  kind: 'peercdn' | 'reference',
  sizes: readonly number[],
  announces: number,
  seed: number,
): Promise<Record<string, unknown>> {
  console.log(`${kind}: core only`);
  // Warm the JIT first, or the first size pays for compilation.
  await measureCore(kind, sizes[0] ?? 100, Math.min(announces, 10_000), seed + 1);
  const points = [];
  for (const size of sizes) {
    const point = await measureCore(kind, size, announces, seed);
    console.log(
      `  swarm of ${size}: ${point.coreMsPerAnnounce.toFixed(4)} ms/announce (${point.offersRelayedPerAnnounce.toFixed(1)} offers relayed)`,
    );
    points.push(point);
  }
  return { tracker: kind, points };
}

async function floodRun(kind: 'peercdn' | 'reference', seed: number): Promise<Record<string, unknown>> {
  const result = await simulateFlood({ ...ISSUE_FLOOD, seed }, kind === 'peercdn' ? DEFAULT_TRACKER_CONFIG : null);
  const started = await simulateFlood(
    { ...ISSUE_FLOOD, seed, swarmAgeMs: 0 },
    kind === 'peercdn' ? DEFAULT_TRACKER_CONFIG : null,
  );
  console.log(
    `${kind}: flood, honest offers reaching honest peers ${(result.honestShare * 100).toFixed(1)}% (${result.honestOffersToHonest} of ${result.honestOffersSent}; ${result.honestOffersToFlood} to the flood); flood starting with the swarm: ${(started.honestShare * 100).toFixed(1)}%`,
  );
  return { tracker: kind, ...result, floodStartingWithSwarm: started };
}

const numberList = (text: string): number[] =>
  text
    .split(',')
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);

export async function runTrackerLoad(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      tracker: { type: 'string', default: 'both' },
      peers: { type: 'string', default: '2000' },
      swarms: { type: 'string', default: '10' },
      'huge-fraction': { type: 'string', default: '0.5' },
      rates: { type: 'string', default: '250,500,1000' },
      'phase-seconds': { type: 'string', default: '10' },
      workers: { type: 'string', default: '2' },
      sweep: { type: 'string' },
      core: { type: 'boolean', default: false },
      flood: { type: 'boolean', default: false },
      'core-announces': { type: 'string', default: '20000' },
      'cpu-prof-dir': { type: 'string' },
      'tracker-flags': { type: 'string', default: '' },
      'beacon-viewers': { type: 'string', default: '0' },
      'beacon-interval': { type: 'string', default: '30' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(TRACKER_LOAD_HELP);
    return;
  }
  const kinds: TrackerKind[] =
    values.tracker === 'both'
      ? ['peercdn', 'reference']
      : values.tracker === 'tls'
        ? ['peercdn', 'peercdn-tls']
        : values.tracker === 'reference'
          ? ['reference']
          : ['peercdn'];
  const rates = numberList(values.rates).filter((rate) => rate <= 20_000);
  const phaseSeconds = Math.min(120, Math.max(1, Number(values['phase-seconds'])));
  const workers = Math.min(8, Math.max(1, Math.floor(Number(values.workers))));
  const seed = Number(values.seed);
  const trackerFlags = values['tracker-flags'].split(' ').filter((flag) => flag.length > 0);
  const sizes = numberList(values.sweep ?? '100,1000,10000')
    .map((size) => Math.min(MAX_PEERS, Math.floor(size)))
    .sort((a, b) => a - b);
  const mode = values.flood ? 'flood' : values.core ? 'core' : values.sweep !== undefined ? 'sweep' : 'load';
  const onSignal = (): void => {
    console.error('bench: interrupted, stopping the tracker and load workers');
    stopChildren();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results: Record<string, unknown>[] = [];
  const options: Record<string, unknown> = { mode, rates, phaseSeconds, workers, seed, trackerFlags };
  try {
    for (const kind of kinds) {
      if (mode === 'flood' || mode === 'core') {
        // TLS is in the sockets: these modes have none.
        if (kind === 'peercdn-tls') continue;
        if (mode === 'flood') {
          Object.assign(options, { flood: ISSUE_FLOOD });
          results.push(await floodRun(kind, seed));
        } else {
          const announces = Math.min(200_000, Math.max(100, Number(values['core-announces'])));
          Object.assign(options, { sizes, announces });
          results.push(await coreRun(kind, sizes, announces, seed));
        }
      } else if (mode === 'sweep') {
        Object.assign(options, { sizes });
        results.push(await sweepRun(kind, sizes, rates[0] ?? 500, phaseSeconds, workers, seed, trackerFlags));
      } else {
        const load: LoadOptions = {
          peers: Math.min(MAX_PEERS, Math.max(2, Math.floor(Number(values.peers)))),
          swarms: Math.max(1, Math.floor(Number(values.swarms))),
          hugeFraction: Math.min(1, Math.max(0, Number(values['huge-fraction']))),
          rates,
          phaseSeconds,
          workers,
          seed,
          cpuProfileDir: values['cpu-prof-dir'] ?? null,
          trackerFlags,
          beaconViewers: Math.min(100_000, Math.max(0, Math.floor(Number(values['beacon-viewers'])))),
          beaconIntervalSeconds: Math.min(600, Math.max(1, Number(values['beacon-interval']))),
        };
        Object.assign(options, load);
        results.push(await loadRun(kind, load));
      }
    }
  } finally {
    stopChildren();
  }
  const date = new Date().toISOString();
  mkdirSync(`${REPO}bench/results`, { recursive: true });
  const peers =
    mode === 'load'
      ? `-k${String(options['peers'])}${options['beaconViewers'] === 0 ? '' : `-beacons${String(options['beaconViewers'])}`}`
      : mode === 'sweep'
        ? `-max${String(sizes.at(-1))}`
        : '';
  const file = `${REPO}bench/results/tracker-${mode}${peers}-${date.replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify({ kind: `tracker-${mode}`, date, options, results }, null, 2)}\n`);
  console.log(`written: ${file}`);
}
