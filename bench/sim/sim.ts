// `npm run bench -- sim`: parse the options, run the simulator, write the JSON result and refresh
// bench/results/sim-summary.md and sim-copies.svg.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { PeerCDNConfig } from '../../lib/api/config.ts';
import { simFigures, type SimFigures } from './sim-figures.ts';
import { simLabel, writeSimReport } from './sim-report.ts';
import { DEFAULT_SIM_OPTIONS, runSimulation, type SimOptions } from './sim-run.ts';

export const SIM_HELP = `Usage: npm run bench -- sim [options]

A deterministic discrete-event simulation of N viewers running the library's real engine,
swarm, peer links, wire protocol and fragment loader on virtual time, with the real tracker core,
a modelled network, player and origin (bench/README.md). Same seed, same numbers.

  --viewers N          audience size (default ${DEFAULT_SIM_OPTIONS.viewers})
  --seed S             seed of every random draw (default ${DEFAULT_SIM_OPTIONS.seed})
  --mode live|vod      stream kind (default ${DEFAULT_SIM_OPTIONS.mode})
  --minutes M          simulated minutes (default ${DEFAULT_SIM_OPTIONS.minutes}; fractions allowed)
  --unreachable X      share of viewer pairs that cannot connect (default ${DEFAULT_SIM_OPTIONS.unreachableShare})
  --churn X            share of the audience replaced per minute (default ${DEFAULT_SIM_OPTIONS.churnPerMinute})
  --join-seconds T     the first N viewers join within T seconds (default ${DEFAULT_SIM_OPTIONS.joinSeconds})
  --bitrate-kbps R     stream bitrate (default ${DEFAULT_SIM_OPTIONS.bitrateKbps})
  --live-sync N        live: start N segments behind the newest (hls.js liveSyncDurationCount; default 3)
  --segment-seconds S  every segment's duration (default ${DEFAULT_SIM_OPTIONS.segmentSeconds}, the sample stream's; 6 is Apple's recommendation)
  --upload-median U    median upload capacity in bitrates (default ${DEFAULT_SIM_OPTIONS.uploadMedianBitrates})
  --refill-seconds T   what-if: viewers announce again after T s (offers only with free peer slots; default: the tracker's 120 s)
  --network internet|loopback   drawn access links, or the browser bench's one machine (default internet)
  --http-loader xhr|fetch   segments over HTTP: streamed as they arrive (fetch: peercdn's loader with
                       hls.js's defaults, or hls.js's progressive mode; the default), or whole at the end
                       (xhr: hls.js's XHR loader, where a site set xhrSetup alone or its own loader)
  --config JSON        library settings for every viewer, e.g. '{"maxPeersPerSwarm":20}'
  --tag TEXT           names the library build in the results, e.g. 'previous defaults' (run from that commit)
  --no-write           print the figures only`;

function numberArg(name: string, value: string | undefined, min: number, max: number): number {
  const parsed = Number(value);
  if (value === undefined || !Number.isFinite(parsed) || parsed < min || parsed > max)
    throw new Error(`${name} must be a number from ${min} to ${max}`);
  return parsed;
}

export function parseSimArgs(args: readonly string[]): { options: SimOptions; write: boolean } | 'help' {
  const options: { -readonly [K in keyof SimOptions]: SimOptions[K] } = { ...DEFAULT_SIM_OPTIONS };
  let write = true;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if (flag === '--help' || flag === '-h') return 'help';
    if (flag === '--no-write') {
      write = false;
      continue;
    }
    i++;
    if (flag === '--viewers') options.viewers = Math.round(numberArg(flag, value, 1, 100_000));
    else if (flag === '--seed') options.seed = Math.round(numberArg(flag, value, 0, 2 ** 31));
    else if (flag === '--minutes') options.minutes = numberArg(flag, value, 0.1, 600);
    else if (flag === '--unreachable') options.unreachableShare = numberArg(flag, value, 0, 1);
    else if (flag === '--churn') options.churnPerMinute = numberArg(flag, value, 0, 1);
    else if (flag === '--join-seconds') options.joinSeconds = numberArg(flag, value, 0, 36_000);
    else if (flag === '--bitrate-kbps') options.bitrateKbps = numberArg(flag, value, 50, 50_000);
    else if (flag === '--live-sync') options.liveSyncSegments = Math.round(numberArg(flag, value, 1, 100));
    else if (flag === '--segment-seconds') options.segmentSeconds = numberArg(flag, value, 1, 30);
    else if (flag === '--upload-median') options.uploadMedianBitrates = numberArg(flag, value, 0.1, 1000);
    else if (flag === '--refill-seconds') options.refillSeconds = numberArg(flag, value, 1, 3600);
    else if (flag === '--mode' && (value === 'live' || value === 'vod')) options.mode = value;
    else if (flag === '--network' && (value === 'internet' || value === 'loopback')) options.network = value;
    else if (flag === '--http-loader' && (value === 'xhr' || value === 'fetch')) options.httpLoader = value;
    else if (flag === '--tag' && value !== undefined) options.tag = value.slice(0, 60);
    else if (flag === '--config') options.config = JSON.parse(value ?? '{}') as Partial<PeerCDNConfig>;
    else throw new Error(`unknown or bad option ${flag ?? ''} ${value ?? ''}`);
  }
  return { options, write };
}

export function formatFigures(f: SimFigures): string {
  const pct = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)}%`;
  return [
    simLabel(f),
    `  sessions ${f.sessions}, mean viewers ${f.meanViewers.toFixed(1)}`,
    `  origin copies per segment: mean ${f.originCopiesPerSegment.mean.toFixed(3)}, median ${f.originCopiesPerSegment.median.toFixed(2)}, max ${f.originCopiesPerSegment.max.toFixed(2)}`,
    `  origin share of watched bytes ${pct(f.originShare)}; offload ${pct(f.offload)} (limit 1 - 1/N ${pct(f.offloadLimit)})`,
    `  deadline misses ${f.deadlineMisses} of ${f.segmentsBuffered} segments (${pct(f.deadlineMissShare, 3)}); viewers with a stall ${f.viewersWithStalls}; stalled ${f.stallSecondsTotal.toFixed(1)} s in all`,
    `  startup ms: ${f.startupMs === null ? 'n/a' : `median ${f.startupMs.median.toFixed(0)}, p95 ${f.startupMs.p95.toFixed(0)}, max ${f.startupMs.max.toFixed(0)}`}; peer fallbacks ${f.peerFallbacks}`,
    `  upload: top 10% carry ${pct(f.upload.top10PercentShare, 1)}, top 1% ${pct(f.upload.top1PercentShare, 1)}, idle ${pct(f.upload.idleShare, 1)}; uploaded/watched median ${f.upload.ratioMedian.toFixed(2)}, p90 ${f.upload.ratioP90.toFixed(2)}`,
    `  tracker messages per viewer-minute ${f.trackerMessagesPerViewerMinute.toFixed(2)}`,
    `  connected peers per viewer (median, each minute): ${f.connectedPeersMedianByMinute.join(' ')}`,
    `  wall ${f.wallSeconds.toFixed(1)} s, CPU ${f.cpuSeconds.toFixed(1)} s, ${f.events} events`,
  ].join('\n');
}

export async function runSimBenchmark(options: SimOptions, write: boolean, resultsDir: string): Promise<SimFigures> {
  // Date.now is virtual during the run: wall time from the monotonic clock.
  const started = process.hrtime.bigint();
  const raw = await runSimulation(options, (virtualMs, viewers) =>
    console.error(
      `sim: minute ${(virtualMs / 60_000).toFixed(0)}/${options.minutes}, ${viewers} viewers, ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)} s wall`,
    ),
  );
  const figures = simFigures(raw);
  console.log(formatFigures(figures));
  if (write) {
    const dir = resultsDir.endsWith('/') ? resultsDir : `${resultsDir}/`;
    mkdirSync(dir, { recursive: true });
    const date = new Date().toISOString();
    const file = `${dir}sim-${options.mode}-n${options.viewers}-${date.replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, `${JSON.stringify({ date, figures }, null, 2)}\n`);
    writeSimReport(dir);
    console.log(`sim: wrote ${file}, sim-summary.md and sim-copies.svg`);
  }
  return figures;
}
