// The measured steps of the tracker benchmarks, shared by the load, sweep and cluster modes:
// peers joining through the load workers, and one phase of announces at a rate with the CPU of
// the trackers (and of helpers such as Redis), the machine's other load, latencies and loop delay.
import { readFileSync } from 'node:fs';
import { percentile } from './figures.ts';
import { processTreeUsage } from './process-usage.ts';
import { sleep, type TrackerProcess, type Worker } from './tracker-load-processes.ts';
import type { WorkerPeerSpec } from './tracker-load-worker.ts';

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface Phase {
  readonly targetAnnouncesPerSecond: number;
  readonly achievedAnnouncesPerSecond: number;
  readonly skippedBecauseBehind: number;
  readonly latencyMs: Percentiles | null;
  /** CPU of the tracker processes (summed) per announce, sockets included. */
  readonly trackerCpuMsPerAnnounce: number | null;
  /** Share of that CPU spent in the kernel. */
  readonly trackerSystemCpuShare: number | null;
  /** Read-like and write-like system calls of the tracker processes (summed) per announce (/proc/PID/io). */
  readonly trackerSystemCallsPerAnnounce: { readonly reads: number; readonly writes: number } | null;
  /** Offers the load peers received per answered announce (5 when every offer is relayed). */
  readonly offersRelayedPerAnnounce: number | null;
  /** CPU per announce after subtracting the CPU the trackers spend with no announces (heartbeat, timers). */
  readonly trackerCpuMsPerAnnounceAboveIdle: number | null;
  /** CPU of the helper processes (Redis in the cluster mode) per announce; null without any. */
  readonly helperCpuMsPerAnnounce: number | null;
  /** CPU cores busy in the trackers and in the load workers during the phase (the machine has 2). */
  readonly trackerCores: number;
  readonly generatorCores: number;
  readonly otherCores: number;
  /** Event-loop delay: how long a tracker, or the slowest load worker, stalled at worst. */
  readonly trackerLoopDelayMs: { readonly p99: number; readonly max: number };
  readonly generatorLoopDelayMaxMs: number;
  /** Fleet beacons sent alongside the announces (POST /beacon), when asked for. */
  readonly beacons?: {
    readonly targetPerSecond: number;
    readonly achievedPerSecond: number;
    readonly skipped: number;
    readonly statuses: Readonly<Record<string, number>>;
    readonly latencyMs: Percentiles | null;
  };
  /** Offer sent → offer received by its target, by whether both peers are on the same tracker node (stamped offers only). */
  readonly offerLatencyMs?: { readonly sameNode: Percentiles | null; readonly crossNode: Percentiles | null };
}

/** What a phase measures besides the load workers. */
export interface PhaseTargets {
  readonly trackers: readonly TrackerProcess[];
  /** Process ids of helpers whose CPU is reported apart (redis-server). */
  readonly helperPids?: readonly number[];
  /** A load worker with no peers that sends the beacons, so they never delay the announce workers. */
  readonly beaconWorker?: Worker;
}

export interface PhaseOptions {
  readonly rate: number;
  readonly seconds: number;
  readonly seed: number;
  /** The trackers' CPU per second with peers connected and no announces (summed). */
  readonly idleMsPerSecond: number;
  /** Offers carry their send time and node, and receivers report offer latencies. */
  readonly stampOffers?: boolean;
  /** Viewers 0..viewers-1 beacon to the first tracker, perSecond in all, from the targets' beacon worker. */
  readonly beacons?: { readonly perSecond: number; readonly viewers: number };
}

/** Join specs, dealt round-robin to the workers; `node` tags the peers for offer latencies. */
export async function joinAll(
  workers: readonly Worker[],
  url: string,
  specs: readonly WorkerPeerSpec[],
  node = 0,
): Promise<{ connected: number; failed: number; answered: number }> {
  const shares = workers.map((_, w) => specs.filter((__, i) => i % workers.length === w));
  const replies = await Promise.all(
    workers.map((worker, w) => worker.run({ type: 'join', url, node, peers: shares[w] ?? [] }, 180_000)),
  );
  const total = { connected: 0, failed: 0, answered: 0 };
  for (const reply of replies) {
    if (reply.type !== 'joined') continue;
    total.connected += reply.connected;
    total.failed += reply.failed;
    total.answered += reply.answered;
  }
  return total;
}

/** CPU seconds the whole machine (all cores) has spent busy, from /proc/stat. */
function machineBusySeconds(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const busyTicks = fields.reduce((sum, ticks, i) => (i === 3 || i === 4 || i > 7 ? sum : sum + ticks), 0);
  return busyTicks / 100;
}

/** CPU seconds (total, system) and read/write system calls of the trackers, summed. */
const trackersUsage = (
  trackers: readonly TrackerProcess[],
): { total: number; system: number; reads: number; writes: number } => {
  const sum = { total: 0, system: 0, reads: 0, writes: 0 };
  for (const tracker of trackers) {
    const cpu = tracker.cpu();
    const calls = tracker.systemCalls();
    sum.total += cpu.total;
    sum.system += cpu.system;
    sum.reads += calls.reads;
    sum.writes += calls.writes;
  }
  return sum;
};

/** Trackers' CPU per second (summed) with peers connected and no announces. */
export async function idleCpuMsPerSecond(trackers: readonly TrackerProcess[], seconds: number): Promise<number> {
  const before = trackersUsage(trackers).total;
  await sleep(seconds * 1000);
  return ((trackersUsage(trackers).total - before) * 1000) / seconds;
}

const percentiles = (values: readonly number[]): Percentiles | null =>
  values.length === 0
    ? null
    : { p50: percentile(values, 50), p99: percentile(values, 99), max: values.reduce((a, b) => Math.max(a, b), 0) };

export async function runPhase(
  workers: readonly Worker[],
  targets: PhaseTargets,
  options: PhaseOptions,
): Promise<Phase> {
  const { rate, seconds } = options;
  const started = performance.now();
  const generators = targets.beaconWorker === undefined ? workers : [...workers, targets.beaconWorker];
  const generatorCpu = (): number =>
    generators.reduce((sum, worker) => sum + processTreeUsage(worker.child.pid ?? -1).cpuSeconds, 0);
  const helperCpu = (): number =>
    (targets.helperPids ?? []).reduce((sum, pid) => sum + processTreeUsage(pid).cpuSeconds, 0);
  const generatorBefore = generatorCpu();
  const helperBefore = helperCpu();
  const machineBefore = machineBusySeconds();
  await Promise.all(targets.trackers.map((tracker) => tracker.loopDelay())); // resets them
  const before = trackersUsage(targets.trackers);
  const beaconWorker = options.beacons === undefined ? undefined : targets.beaconWorker;
  const beaconUrl = targets.trackers[0]?.url;
  const replies = await Promise.all([
    ...workers.map((worker, w) =>
      worker.run(
        {
          type: 'phase',
          ratePerSecond: rate / workers.length,
          seconds,
          seed: options.seed * 100 + w,
          stampOffers: options.stampOffers ?? false,
        },
        (seconds + 30) * 1000,
      ),
    ),
    ...(beaconWorker === undefined || options.beacons === undefined || beaconUrl === undefined
      ? []
      : [
          beaconWorker.run(
            {
              type: 'phase',
              ratePerSecond: 0,
              seconds,
              seed: options.seed,
              stampOffers: false,
              beacons: {
                url: beaconUrl,
                perSecond: options.beacons.perSecond,
                viewers: Array.from({ length: options.beacons.viewers }, (_, viewer) => viewer),
              },
            },
            (seconds + 30) * 1000,
          ),
        ]),
  ]);
  const after = trackersUsage(targets.trackers);
  const cpu = after.total - before.total;
  const helperSeconds = helperCpu() - helperBefore;
  const elapsedSeconds = (performance.now() - started) / 1000;
  const generatorCores = (generatorCpu() - generatorBefore) / elapsedSeconds;
  // Cores busy outside this benchmark (another job on the machine makes every figure worse).
  const otherCores = Math.max(
    0,
    (machineBusySeconds() - machineBefore - helperSeconds) / elapsedSeconds - generatorCores - cpu / elapsedSeconds,
  );
  const loopDelays = await Promise.all(targets.trackers.map((tracker) => tracker.loopDelay()));
  const trackerLoopDelayMs = {
    p99: Math.max(...loopDelays.map((delay) => delay.p99)),
    max: Math.max(...loopDelays.map((delay) => delay.max)),
  };
  const generatorLoopDelayMaxMs = Math.max(
    ...replies.map((reply) => (reply.type === 'phase-done' ? reply.loopDelayMs.max : 0)),
  );
  const latencies: number[] = [];
  const sameNode: number[] = [];
  const crossNode: number[] = [];
  let skipped = 0;
  let offersReceived = 0;
  const beaconLatencies: number[] = [];
  const beaconStatuses: Record<string, number> = {};
  let beaconsSent = 0;
  let beaconsSkipped = 0;
  for (const reply of replies) {
    if (reply.type !== 'phase-done') continue;
    if (reply.beacons !== null) {
      beaconsSent += reply.beacons.sent;
      beaconsSkipped += reply.beacons.skipped;
      for (const latency of reply.beacons.latenciesMs) beaconLatencies.push(latency);
      for (const [status, count] of Object.entries(reply.beacons.statuses))
        beaconStatuses[status] = (beaconStatuses[status] ?? 0) + count;
    }
    for (const latency of reply.latenciesMs) latencies.push(latency);
    for (const latency of reply.offerLatenciesMs.sameNode) sameNode.push(latency);
    for (const latency of reply.offerLatenciesMs.crossNode) crossNode.push(latency);
    skipped += reply.skipped;
    offersReceived += reply.offersReceived;
  }
  const answered = latencies.length;
  const phase: Phase = {
    targetAnnouncesPerSecond: rate,
    achievedAnnouncesPerSecond: answered / seconds,
    skippedBecauseBehind: skipped,
    latencyMs: percentiles(latencies),
    trackerCpuMsPerAnnounce: answered === 0 ? null : (cpu * 1000) / answered,
    trackerSystemCpuShare: cpu === 0 ? null : (after.system - before.system) / cpu,
    trackerSystemCallsPerAnnounce:
      answered === 0
        ? null
        : {
            reads: (after.reads - before.reads) / answered,
            writes: (after.writes - before.writes) / answered,
          },
    offersRelayedPerAnnounce: answered === 0 ? null : offersReceived / answered,
    trackerCpuMsPerAnnounceAboveIdle:
      answered === 0 ? null : Math.max(0, cpu * 1000 - options.idleMsPerSecond * elapsedSeconds) / answered,
    helperCpuMsPerAnnounce:
      targets.helperPids === undefined || answered === 0 ? null : (helperSeconds * 1000) / answered,
    trackerCores: cpu / elapsedSeconds,
    generatorCores,
    otherCores,
    trackerLoopDelayMs,
    generatorLoopDelayMaxMs,
    ...(options.beacons === undefined
      ? {}
      : {
          beacons: {
            targetPerSecond: options.beacons.perSecond,
            achievedPerSecond: beaconsSent / seconds,
            skipped: beaconsSkipped,
            statuses: beaconStatuses,
            latencyMs: percentiles(beaconLatencies),
          },
        }),
    ...(options.stampOffers === true
      ? { offerLatencyMs: { sameNode: percentiles(sameNode), crossNode: percentiles(crossNode) } }
      : {}),
  };
  console.log(
    `  ${rate}/s: achieved ${phase.achievedAnnouncesPerSecond.toFixed(0)}/s, ${phase.offersRelayedPerAnnounce?.toFixed(2)} offers relayed each, p50 ${phase.latencyMs?.p50.toFixed(1)} ms, p99 ${phase.latencyMs?.p99.toFixed(1)} ms, CPU ${phase.trackerCpuMsPerAnnounce?.toFixed(3)} ms/announce (${((phase.trackerSystemCpuShare ?? 0) * 100).toFixed(0)}% kernel; ${phase.trackerSystemCallsPerAnnounce?.reads.toFixed(2)} reads, ${phase.trackerSystemCallsPerAnnounce?.writes.toFixed(2)} writes; ${phase.trackerCpuMsPerAnnounceAboveIdle?.toFixed(3)} above idle${phase.helperCpuMsPerAnnounce === null ? '' : `; Redis ${phase.helperCpuMsPerAnnounce.toFixed(3)}`}); cores: tracker ${phase.trackerCores.toFixed(2)}, generator ${phase.generatorCores.toFixed(2)}, other ${phase.otherCores.toFixed(2)}; loop delay max: tracker ${phase.trackerLoopDelayMs.max.toFixed(0)} ms, generator ${phase.generatorLoopDelayMaxMs.toFixed(0)} ms`,
  );
  if (phase.beacons !== undefined)
    console.log(
      `    beacons: ${phase.beacons.achievedPerSecond.toFixed(0)}/s of ${phase.beacons.targetPerSecond.toFixed(0)}/s (skipped ${phase.beacons.skipped}), statuses ${JSON.stringify(phase.beacons.statuses)}, p50 ${phase.beacons.latencyMs?.p50.toFixed(1)} ms, p99 ${phase.beacons.latencyMs?.p99.toFixed(1)} ms`,
    );
  return phase;
}
