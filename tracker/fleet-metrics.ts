// The `peercdn_fleet_*` series in Prometheus text format, written from one fleet snapshot per
// scrape. Labels are bounded: `swarm` is one of the top K swarm ids or `other`, `source` one of
// three, `rendition` one of 16 heights (`renditionLabel`), `reason` one of the beacon refusal reasons.
import type { FleetStats } from './fleet.ts';
import type { HistogramSnapshot, SourceBytes } from './fleet-aggregator.ts';

const PREFIX = 'peercdn_fleet_';
const SOURCES = ['http', 'peer', 'cache'] as const satisfies readonly (keyof SourceBytes)[];

type Sample = readonly [labels: Readonly<Record<string, string>>, value: number];

const formatValue = (value: number | null): string =>
  value === null || Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : '-Inf';
// Label values are swarm ids (printable ASCII) and fixed words: escape what the format requires.
const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]): string {
  const lines = [`# HELP ${PREFIX}${name} ${help}`, `# TYPE ${PREFIX}${name} ${type}`];
  for (const [labels, value] of samples) {
    const pairs = Object.entries(labels).map(([key, text]) => `${key}="${escapeLabel(text)}"`);
    lines.push(`${PREFIX}${name}${pairs.length === 0 ? '' : `{${pairs.join(',')}}`} ${formatValue(value)}`);
  }
  return lines.join('\n');
}

function histogram(name: string, help: string, snapshot: HistogramSnapshot): string {
  const lines = [`# HELP ${PREFIX}${name} ${help}`, `# TYPE ${PREFIX}${name} histogram`];
  let cumulative = 0;
  snapshot.counts.forEach((count, i) => {
    cumulative += count;
    const bound = snapshot.bucketsSeconds[i];
    lines.push(`${PREFIX}${name}_bucket{le="${bound === undefined ? '+Inf' : String(bound)}"} ${cumulative}`);
  });
  lines.push(`${PREFIX}${name}_sum ${snapshot.sumSeconds}`, `${PREFIX}${name}_count ${snapshot.count}`);
  return lines.join('\n');
}

/** Every fleet series; families exist (at 0 or NaN) before the first beacon. */
export function renderFleetMetrics(stats: FleetStats): string {
  return `${[
    family('beacons_total', 'counter', 'Beacons accepted from viewers.', [[{}, stats.beacons]]),
    family(
      'rejected_beacons_total',
      'counter',
      'Beacons refused, by reason.',
      Object.entries(stats.rejectedBeacons).map(([reason, count]) => [{ reason }, count]),
    ),
    family('viewers', 'gauge', 'Viewers: sessions whose last beacon is recent and not final.', [[{}, stats.viewers]]),
    family(
      'connected_peers',
      'gauge',
      'Peer connections the current viewers reported (each link counts at both ends).',
      [[{}, stats.connectedPeers]],
    ),
    family(
      'bytes_total',
      'counter',
      'Segment bytes viewers handed to hls.js, all swarms, by source (http = origin/CDN, peer, cache).',
      SOURCES.map((source) => [{ source }, stats.bytes[source]]),
    ),
    family('offload_ratio', 'gauge', 'Peer bytes / (peer + HTTP bytes) since the tracker started, all swarms.', [
      [{}, stats.offloadRatio ?? Number.NaN],
    ]),
    family('uploaded_bytes_total', 'counter', 'Segment bytes viewers uploaded to peers.', [[{}, stats.uploadedBytes]]),
    family(
      'swarm_viewers',
      'gauge',
      'Viewers per swarm (top K swarms by viewers, the rest as swarm="other").',
      stats.swarms.map((swarm) => [{ swarm: swarm.swarm }, swarm.viewers]),
    ),
    family(
      'swarm_bytes_total',
      'counter',
      'Segment bytes per swarm and source, since the swarm entered the top K (swarm="other": the rest).',
      stats.swarms.flatMap((swarm) =>
        SOURCES.map((source): Sample => [{ swarm: swarm.swarm, source }, swarm.bytes[source]]),
      ),
    ),
    family(
      'swarm_offload_ratio',
      'gauge',
      'Peer bytes / (peer + HTTP bytes) per swarm, since the swarm entered the top K.',
      stats.swarms.map((swarm) => [{ swarm: swarm.swarm }, swarm.offloadRatio ?? Number.NaN]),
    ),
    family(
      'rendition_viewers',
      'gauge',
      'Current viewers by the height of the rendition playing, rounded to the nearest common height (e.g. "720p").',
      Object.entries(stats.renditions).map(([rendition, viewers]) => [{ rendition }, viewers]),
    ),
    family('peer_fallbacks_total', 'counter', 'Peer downloads that failed or timed out and were retried over HTTP.', [
      [{}, stats.peerFallbacks],
    ]),
    family(
      'integrity_failures_total',
      'counter',
      'Segments from peers that failed the integrity check (the peer was dropped).',
      [[{}, stats.integrityFailures]],
    ),
    histogram('startup_seconds', 'Time from attach(hls) to first playback, once per viewer.', stats.startupSeconds),
    histogram(
      'stall_seconds',
      'Duration of each stall (playback waiting for data after it started); _count is the number of stalls.',
      stats.stallSeconds,
    ),
  ].join('\n')}\n`;
}
