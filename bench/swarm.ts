// `npm run bench -- swarm [options]`: offload measured by the origin, HTTP-only vs peercdn.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { countersAgree, fractionOfLimit, median, offload, offloadLimit, originCopiesPerSegment } from './figures.ts';
import { crossRegionBytes } from './cross-region-bytes.ts';
import { originCopyCauses } from './origin-copy-causes.ts';
import { writeReport } from './report.ts';
import { seededRandom } from './seeded-random.ts';
import {
  plainViewer,
  runSwarm,
  viewerIndex,
  type MixedViewers,
  type SwarmRunOptions,
  type SwarmRunResult,
  type ViewerResult,
} from './swarm-run.ts';

export const SWARM_HELP = `Usage: npm run bench -- swarm [options]

Runs N headless-Chromium viewers twice on the same content, origin and tracker setup: once with
plain hls.js (HTTP only), once through peercdn; reports origin-counted offload and playback quality.

  --viewers N          viewers (default 4)
  --mode vod|live      stream (default vod)
  --stagger S          seconds between joins (default 5)
  --duration D         seconds everyone watches after the last join (default 30)
  --rendition R        fixed rendition index, or "abr" (default 0)
  --churn K            K times a random viewer leaves and a new one joins (default 0)
  --startup-wait-ms W  peercdn startupPeerWaitMs: startup segments wait up to W ms for peers (default 0)
  --silent-peer-fallback  peercdn silentPeerFallback on: a peer with no byte yet loses the segment to HTTP in time
  --browsers B         Chromium processes to spread viewers over (default 1)
  --origins O          origins serving the stream, 1-2 (peercdn spreads its HTTP over them; default 1)
  --origin-fault-at S  the last origin fails S seconds into each run: 5xx for 6 s, stopped 6 s, then back
  --regions R          viewers spread over R regions in turn (peercdn's region setting; default 1)
  --cross-region-delay-ms D  every data-channel message between viewers of different regions leaves D ms late (default 0)
  --without-hashes     the origin serves no hash manifests (peer segments then pass structural checks only)
  --mixed odd|even     in the peercdn run, the viewers of odd (even) index play with plain hls.js: startup
                       of both compared within one run and swarm (offload and byte agreement then count their HTTP too)
  --seed X             seed for churn choices (default 1)
  --out DIR            results folder (default bench/results)
  --help`;

const REPO = fileURLToPath(new URL('../', import.meta.url));
const CPU_STARVED_FRACTION = 0.85;

export interface SwarmOptions extends Omit<SwarmRunOptions, 'p2p' | 'random'> {
  readonly seed: number;
  readonly outDir: string;
}

export function parseSwarmArgs(args: string[]): SwarmOptions | 'help' {
  const { values } = parseArgs({
    args,
    options: {
      viewers: { type: 'string', default: '4' },
      mode: { type: 'string', default: 'vod' },
      stagger: { type: 'string', default: '5' },
      duration: { type: 'string', default: '30' },
      rendition: { type: 'string', default: '0' },
      churn: { type: 'string', default: '0' },
      'startup-wait-ms': { type: 'string', default: '0' },
      'silent-peer-fallback': { type: 'boolean', default: false },
      browsers: { type: 'string', default: '1' },
      origins: { type: 'string', default: '1' },
      'origin-fault-at': { type: 'string' },
      regions: { type: 'string', default: '1' },
      'cross-region-delay-ms': { type: 'string', default: '0' },
      'without-hashes': { type: 'boolean', default: false },
      mixed: { type: 'string' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: `${REPO}bench/results` },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const integer = (name: string, text: string, min: number, max: number): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return value;
  };
  if (values.mode !== 'vod' && values.mode !== 'live') throw new Error('--mode must be vod or live');
  if (values.mixed !== undefined && values.mixed !== 'odd' && values.mixed !== 'even')
    throw new Error('--mixed must be odd or even');
  return {
    viewers: integer('viewers', values.viewers, 1, 16),
    mode: values.mode,
    staggerSeconds: integer('stagger', values.stagger, 0, 60),
    durationSeconds: integer('duration', values.duration, 2, 600),
    level: values.rendition === 'abr' ? -1 : integer('rendition', values.rendition, 0, 1),
    churnEvents: integer('churn', values.churn, 0, 50),
    startupPeerWaitMs: integer('startup-wait-ms', values['startup-wait-ms'], 0, 10_000),
    silentPeerFallback: values['silent-peer-fallback'],
    browsers: integer('browsers', values.browsers, 1, 4),
    origins: integer('origins', values.origins, 1, 2),
    originFaultAtSeconds:
      values['origin-fault-at'] === undefined ? null : integer('origin-fault-at', values['origin-fault-at'], 0, 600),
    regions: integer('regions', values.regions, 1, 4),
    crossRegionDelayMs: integer('cross-region-delay-ms', values['cross-region-delay-ms'], 0, 2000),
    hashManifests: !values['without-hashes'],
    mixed: values.mixed ?? null,
    seed: integer('seed', values.seed, 0, 2 ** 31),
    outDir: values.out,
  };
}

/** Size of the fixture segment an origin path refers to (live paths loop over the fixture). */
function fixtureSegmentSizes(): (path: string) => number | undefined {
  const sizes = new Map<string, number[]>();
  const sampleDir = `${REPO}fixtures/sample`;
  for (const rendition of readdirSync(sampleDir)) {
    if (!statSync(`${sampleDir}/${rendition}`).isDirectory()) continue;
    const files = readdirSync(`${sampleDir}/${rendition}`)
      .filter((f) => f.endsWith('.ts'))
      .sort();
    sizes.set(
      rendition,
      files.map((f) => statSync(`${sampleDir}/${rendition}/${f}`).size),
    );
  }
  return (path) => {
    const match = /^\/(vod|live)\/([^/]+)\/seg_(\d+)\.ts$/.exec(path);
    if (match === null) return undefined;
    const list = sizes.get(match[2] as string);
    if (list === undefined || list.length === 0) return undefined;
    return list[Number(match[3]) % list.length];
  };
}

// Viewer i has region `r<i mod R>` (swarm-run.ts).
const regionOf = (viewerId: string, regions: number): string => `r${viewerIndex(viewerId) % regions}`;

// Share of peer bytes that came from a sender of the receiver's own region, over the whole run:
// each viewer's `p2pBytesByRegion` (by the region its senders told); viewer-i has region `r<i mod R>`.
// Null with one region.
function sameRegionShare(run: SwarmRunResult, regions: number): number | null {
  if (regions < 2) return null;
  let same = 0;
  let total = 0;
  for (const viewer of run.viewers) {
    const own = regionOf(viewer.viewerId, regions);
    total += viewer.stats?.p2pBytes ?? 0;
    same += viewer.stats?.p2pBytesByRegion?.[own] ?? 0;
  }
  return total === 0 ? null : same / total;
}

// Page load to first `playing`, median and max over the viewers that played; null when none did.
function startupFigures(viewers: readonly ViewerResult[]): { median: number; max: number } | null {
  const startups = viewers.map((v) => v.firstPlayingMs).filter((ms): ms is number => ms !== null);
  return startups.length === 0 ? null : { median: median(startups), max: Math.max(...startups) };
}

function summarize(run: SwarmRunResult, segmentSize: (path: string) => number | undefined, wallCores: number) {
  const startupMs = startupFigures(run.viewers);
  const cpuSeconds = run.browserUsage.reduce((sum, u) => sum + u.cpuSeconds, 0);
  const libraryHttpBytes = run.viewers.reduce((sum, v) => sum + (v.stats?.httpBytes ?? 0), 0);
  const cpuFraction = cpuSeconds / run.wallSeconds / wallCores;
  return {
    originSegmentBytes: run.origin.segmentBytes,
    segmentBytesByOrigin: run.originSegmentBytes,
    originSegmentRequests: run.origin.segmentRequests,
    library: {
      httpBytes: libraryHttpBytes,
      p2pBytes: run.viewers.reduce((sum, v) => sum + (v.stats?.p2pBytes ?? 0), 0),
      uploadedBytes: run.viewers.reduce((sum, v) => sum + (v.stats?.uploadedBytes ?? 0), 0),
      peerFallbacks: run.viewers.reduce((sum, v) => sum + (v.stats?.peerFallbacks ?? 0), 0),
    },
    originCopiesPerSegment: originCopiesPerSegment(
      Object.fromEntries(Object.entries(run.origin.byPath).filter(([p]) => p.endsWith('.ts'))),
      segmentSize,
    ),
    // From the viewers' own records: which HTTP loads were extra copies, and when joiners met their first peer.
    originCopyCauses: originCopyCauses(run.viewers),
    startupMs,
    viewersThatNeverPlayed: run.viewers.filter((v) => v.firstPlayingMs === null).length,
    stalls: run.viewers.reduce((sum, v) => sum + v.stalls, 0),
    stallMs: run.viewers.reduce((sum, v) => sum + v.stallMs, 0),
    droppedFrames: run.viewers.reduce((sum, v) => sum + v.droppedFrames, 0),
    fatalErrors: run.viewers.flatMap((v) => v.fatalErrors),
    peersConnectedAtEnd: run.viewers.map((v) => v.stats?.connectedPeers ?? 0),
    browserCpuSeconds: cpuSeconds,
    browserRssBytes: run.browserUsage.reduce((sum, u) => sum + u.rssBytes, 0),
    cpuStarved: cpuFraction > CPU_STARVED_FRACTION,
    cpuFraction,
    wallSeconds: run.wallSeconds,
  };
}

export async function runSwarmBenchmark(options: SwarmOptions, signal: AbortSignal): Promise<string> {
  const common = {
    viewers: options.viewers,
    mode: options.mode,
    staggerSeconds: options.staggerSeconds,
    durationSeconds: options.durationSeconds,
    level: options.level,
    churnEvents: options.churnEvents,
    startupPeerWaitMs: options.startupPeerWaitMs,
    silentPeerFallback: options.silentPeerFallback,
    browsers: options.browsers,
    origins: options.origins,
    originFaultAtSeconds: options.originFaultAtSeconds,
    regions: options.regions,
    crossRegionDelayMs: options.crossRegionDelayMs,
    hashManifests: options.hashManifests,
    mixed: options.mixed ?? null,
  };
  console.log(
    `swarm: ${options.viewers} viewers, ${options.mode}, stagger ${options.staggerSeconds} s, duration ${options.durationSeconds} s`,
  );
  console.log('swarm: run 1/2, HTTP only (plain hls.js)');
  const baseline = await runSwarm({ ...common, p2p: false, random: seededRandom(options.seed) }, signal);
  console.log('swarm: run 2/2, peercdn');
  const peers = await runSwarm({ ...common, p2p: true, random: seededRandom(options.seed) }, signal);
  const segmentSize = fixtureSegmentSizes();
  const cores = cpus().length;
  const baselineSummary = summarize(baseline, segmentSize, cores);
  const peerSummary = summarize(peers, segmentSize, cores);
  const offloadValue = offload(peers.origin.segmentBytes, baseline.origin.segmentBytes);
  const agreement = countersAgree(peers.origin.segmentBytes, peerSummary.library.httpBytes);
  const result = {
    kind: 'swarm',
    date: new Date().toISOString(),
    options: { ...common, seed: options.seed },
    machine: { cores, node: process.version },
    offload: offloadValue,
    sameRegionPeerByteShare: sameRegionShare(peers, options.regions ?? 1),
    crossRegionBytes:
      (options.regions ?? 1) < 2
        ? null
        : crossRegionBytes(peers.viewers, (viewerId) => regionOf(viewerId, options.regions ?? 1)),
    offloadLimit: offloadLimit(options.viewers),
    fractionOfLimit: fractionOfLimit(offloadValue, options.viewers),
    counterAgreement: agreement,
    httpOnly: baselineSummary,
    peercdn: peerSummary,
    viewers: { httpOnly: baseline.viewers, peercdn: peers.viewers },
    mixedStartupMs: options.mixed ? mixedStartups(peers, options.mixed) : null,
  };
  mkdirSync(options.outDir, { recursive: true });
  const name = `swarm-${options.mode}-n${options.viewers}-${result.date.replace(/[:.]/g, '-')}.json`;
  const file = `${options.outDir}/${name}`;
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  writeReport(options.outDir);
  const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;
  console.log(
    [
      `origin segment bytes: HTTP-only ${baselineSummary.originSegmentBytes}, peercdn ${peerSummary.originSegmentBytes} (by origin ${peerSummary.segmentBytesByOrigin.join(' / ')})`,
      `offload ${percent(offloadValue)} of limit ${percent(result.offloadLimit)} = ${percent(result.fractionOfLimit)} of the limit`,
      ...(result.sameRegionPeerByteShare === null
        ? []
        : [`peer bytes from same-region peers: ${percent(result.sameRegionPeerByteShare)}`]),
      ...(result.crossRegionBytes === null
        ? []
        : [
            `cross-region peer bytes ${result.crossRegionBytes.farBytes}, of which repeat copies into a region ${result.crossRegionBytes.repeatCopyBytes}; by receiver <- sender: ${Object.entries(
              result.crossRegionBytes.byReceiver,
            )
              .map(([receiver, senders]) => `${receiver} <- ${JSON.stringify(senders)}`)
              .join(', ')}`,
          ]),
      `origin copies per segment: mean ${peerSummary.originCopiesPerSegment.mean.toFixed(2)}, max ${peerSummary.originCopiesPerSegment.max.toFixed(2)}`,
      `extra origin loads (viewers' records): ${peerSummary.originCopyCauses.extraHttpLoads}, of which first segments ${peerSummary.originCopyCauses.firstSegment}, later ${peerSummary.originCopyCauses.later}`,
      `library http bytes ${peerSummary.library.httpBytes} vs origin ${peerSummary.originSegmentBytes}: ${agreement.agree ? 'agree' : 'DISAGREE'} (${percent(agreement.relativeDifference)})`,
      `startup median/max ms: HTTP-only ${fmt(baselineSummary.startupMs)}, peercdn ${fmt(peerSummary.startupMs)}`,
      ...(result.mixedStartupMs === null
        ? []
        : [
            `startup median/max ms within the peercdn run (viewer 0 left out): plain hls.js ${fmt(result.mixedStartupMs.plain)}, peercdn ${fmt(result.mixedStartupMs.peercdn)}`,
          ]),
      `stalls: HTTP-only ${baselineSummary.stalls} (${baselineSummary.stallMs.toFixed(0)} ms), peercdn ${peerSummary.stalls} (${peerSummary.stallMs.toFixed(0)} ms)`,
      `fatal errors: ${baselineSummary.fatalErrors.length} / ${peerSummary.fatalErrors.length}; browser CPU ${percent(peerSummary.cpuFraction)} of the machine${peerSummary.cpuStarved ? ' (CPU-STARVED: numbers unreliable)' : ''}`,
      `written: ${file}`,
    ].join('\n'),
  );
  return file;
}

// Startup of the plain and the peercdn viewers of one mixed run. Viewer 0 is left out: the first page
// of a fresh browser starts slower whichever it plays with.
function mixedStartups(run: SwarmRunResult, mixed: MixedViewers) {
  const of = (plain: boolean) =>
    startupFigures(
      run.viewers.filter((v) => viewerIndex(v.viewerId) > 0 && plainViewer(viewerIndex(v.viewerId), mixed) === plain),
    );
  return { plain: of(true), peercdn: of(false) };
}

function fmt(startup: { median: number; max: number } | null): string {
  return startup === null ? 'n/a' : `${startup.median.toFixed(0)}/${startup.max.toFixed(0)}`;
}
