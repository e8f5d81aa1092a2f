// `npm run bench -- <benchmark> [options]`: the benchmarks, run inside a loopback-only network namespace.
import { fileURLToPath } from 'node:url';
import { inLoopbackNamespace, reexecInLoopbackNamespace } from '../test/loopback-namespace.mjs';

const HELP = `Usage: npm run bench -- <benchmark> [options]

Benchmarks:
  swarm      N headless-Chromium viewers, HTTP-only vs peercdn, offload counted at the origin
  tracker    K WebSocket peers announcing at rising rates against a tracker process
  cluster    one tracker process vs two + Redis: peers held, announce p99, cross-node offer relay
  transfer   one segment between two Node WebRTC peers: peercdn's protocol vs the raw data channel
  sim        N simulated viewers on virtual time: the real engine, tracker core, modelled network
  hostile    honest Node viewers (real WebRTC) against poisoning and misbehaving peers; verification cost
  beacon     fleet telemetry cost: beacon bytes per viewer per minute, tracker CPU per beacon
  fleet      fleet snapshot cost (/stats.json, /metrics) with 100,000 sessions
  size       browser bundle sizes against bench/size-budget.json (same as npm run size)

Run \`npm run bench -- <benchmark> --help\` for a benchmark's options. Results go to bench/results/.
Everything runs on 127.0.0.1 inside a loopback-only network namespace (see README).`;

async function main(): Promise<void> {
  const [benchmark, ...args] = process.argv.slice(2);
  if (benchmark === undefined || benchmark === '--help' || benchmark === '-h') {
    console.log(HELP);
    return;
  }
  if (benchmark === 'swarm') {
    const { parseSwarmArgs, runSwarmBenchmark, SWARM_HELP } = await import('./swarm.ts');
    const options = parseSwarmArgs(args);
    if (options === 'help') {
      console.log(SWARM_HELP);
      return;
    }
    if (!inLoopbackNamespace()) reexecInLoopbackNamespace(fileURLToPath(import.meta.url), process.argv.slice(2));
    const controller = new AbortController();
    // Ctrl-C: stop at the next step; the run's finally blocks stop every browser and server.
    const onSignal = (): void => {
      console.error('bench: interrupted, stopping browsers and servers');
      controller.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    await runSwarmBenchmark(options, controller.signal);
    return;
  }
  if (benchmark === 'transfer') {
    const { runTransferBenchmark, TRANSFER_HELP } = await import('./transfer.ts');
    if (args.includes('--help')) {
      console.log(TRANSFER_HELP);
      return;
    }
    const repeatIndex = args.indexOf('--repeat');
    const repeat = repeatIndex === -1 ? 5 : Number(args[repeatIndex + 1]);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 50)
      throw new Error('--repeat must be an integer from 1 to 50');
    if (!inLoopbackNamespace()) reexecInLoopbackNamespace(fileURLToPath(import.meta.url), process.argv.slice(2));
    await runTransferBenchmark(repeat);
    return;
  }
  if (benchmark === 'sim') {
    // No sockets at all: nothing to isolate in a network namespace. A child process of its own
    // (bundled, tuned garbage collector: sim-launch.ts).
    const { launchSim } = await import('./sim/sim-launch.ts');
    process.exitCode = await launchSim(args);
    return;
  }
  if (benchmark === 'beacon') {
    const { BEACON_HELP, runBeaconBenchmark } = await import('./beacon.ts');
    if (args.includes('--help')) {
      console.log(BEACON_HELP);
      return;
    }
    await runBeaconBenchmark(args);
    return;
  }
  if (benchmark === 'fleet') {
    const { FLEET_HELP, runFleetSnapshotBenchmark } = await import('./fleet-snapshot.ts');
    if (args.includes('--help')) console.log(FLEET_HELP);
    else runFleetSnapshotBenchmark(args);
    return;
  }
  if (benchmark === 'tracker') {
    const { runTrackerLoad } = await import('./tracker-load.ts');
    if (!args.includes('--help') && !inLoopbackNamespace())
      reexecInLoopbackNamespace(fileURLToPath(import.meta.url), process.argv.slice(2));
    await runTrackerLoad(args);
    return;
  }
  if (benchmark === 'cluster') {
    const { runClusterLoad } = await import('./tracker-cluster-load.ts');
    if (!args.includes('--help') && !inLoopbackNamespace())
      reexecInLoopbackNamespace(fileURLToPath(import.meta.url), process.argv.slice(2));
    await runClusterLoad(args);
    return;
  }
  if (benchmark === 'hostile') {
    const { HOSTILE_HELP, runHostileBenchmark } = await import('./hostile.ts');
    if (args.includes('--help')) {
      console.log(HOSTILE_HELP);
      return;
    }
    if (!inLoopbackNamespace()) reexecInLoopbackNamespace(fileURLToPath(import.meta.url), process.argv.slice(2));
    await runHostileBenchmark(args);
    // Node WebRTC keeps a few handles after every peer is destroyed (environment notes).
    process.exit(process.exitCode ?? 0);
  }
  if (benchmark === 'size') {
    await import('./bundle-size.ts');
    return;
  }
  console.error(`bench: unknown benchmark "${benchmark}"\n\n${HELP}`);
  process.exitCode = 2;
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
