// Builds bench/results/summary.md and bench/results/offload.svg from the swarm results JSON files.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { MixedViewers } from './swarm-run.ts';

interface SwarmResultFile {
  readonly date: string;
  readonly options: {
    viewers: number;
    mode: string;
    staggerSeconds: number;
    durationSeconds: number;
    level: number;
    churnEvents: number;
    startupPeerWaitMs?: number;
    silentPeerFallback?: boolean;
    mixed?: MixedViewers | null;
  };
  readonly offload: number;
  readonly offloadLimit: number;
  readonly fractionOfLimit: number;
  readonly counterAgreement: { agree: boolean; relativeDifference: number };
  readonly httpOnly: SummaryPart;
  readonly peercdn: SummaryPart;
}

interface SummaryPart {
  readonly originSegmentBytes: number;
  readonly originCopiesPerSegment: { mean: number; max: number };
  readonly startupMs: { median: number; max: number } | null;
  readonly stalls: number;
  readonly stallMs: number;
  readonly fatalErrors: string[];
  readonly cpuStarved: boolean;
}

const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;

function label(r: SwarmResultFile): string {
  const o = r.options;
  return `${o.mode} N=${o.viewers} stagger ${o.staggerSeconds}s ${o.level < 0 ? 'abr' : `r${o.level}`}${o.churnEvents > 0 ? ` churn ${o.churnEvents}` : ''}${(o.startupPeerWaitMs ?? 0) > 0 ? ` startup-wait ${o.startupPeerWaitMs}ms` : ''}${o.silentPeerFallback === true ? ' silent-peer-fallback' : ''}${o.mixed ? ` mixed-${o.mixed}` : ''}`;
}

/** The newest result per configuration, oldest configuration first. */
export function latestResults(dir: string): SwarmResultFile[] {
  const byLabel = new Map<string, SwarmResultFile>();
  for (const file of readdirSync(dir)
    .filter((f) => f.startsWith('swarm-') && f.endsWith('.json'))
    .sort()) {
    const result = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as SwarmResultFile;
    byLabel.set(label(result), result);
  }
  return [...byLabel.values()];
}

export function summaryMarkdown(results: readonly SwarmResultFile[]): string {
  const rows = results.map((r) =>
    [
      label(r),
      percent(r.offload),
      percent(r.offloadLimit),
      percent(r.fractionOfLimit),
      r.peercdn.originCopiesPerSegment.mean.toFixed(2),
      r.peercdn.originCopiesPerSegment.max.toFixed(2),
      `${r.httpOnly.stalls} / ${r.peercdn.stalls}`,
      `${r.httpOnly.startupMs?.median.toFixed(0) ?? 'n/a'} / ${r.peercdn.startupMs?.median.toFixed(0) ?? 'n/a'}`,
      r.counterAgreement.agree
        ? `yes (${percent(r.counterAgreement.relativeDifference)})`
        : `NO (${percent(r.counterAgreement.relativeDifference)})`,
      `${r.httpOnly.fatalErrors.length + r.peercdn.fatalErrors.length}`,
      r.peercdn.cpuStarved || r.httpOnly.cpuStarved ? 'yes' : 'no',
      r.date.slice(0, 16),
    ].join(' | '),
  );
  return [
    '# Swarm benchmark results',
    '',
    'Newest run per configuration. Offload = 1 − origin segment bytes with peercdn / with plain hls.js,',
    'both counted by the origin. Limit = 1 − 1/N. Copies = origin bytes per segment / segment size.',
    'Stalls and startup median (ms) are HTTP-only / peercdn. Agreement: library HTTP bytes vs origin bytes within 1%.',
    '',
    '| configuration | offload | limit | of limit | copies mean | copies max | stalls | startup ms | counters agree | fatal | CPU-starved | date |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
    '',
  ].join('\n');
}

/** A bar chart: offload as a fraction of the limit per configuration, stalls annotated. */
export function offloadSvg(results: readonly SwarmResultFile[]): string {
  const barHeight = 22;
  const labelWidth = 260;
  const chartWidth = 400;
  const height = 40 + results.length * (barHeight + 8);
  const bars = results.map((r, i) => {
    const y = 30 + i * (barHeight + 8);
    const width = Math.max(0, Math.min(1, r.fractionOfLimit)) * chartWidth;
    const color = r.peercdn.stalls > 0 ? '#d9534f' : r.fractionOfLimit >= 0.97 ? '#2e8b57' : '#e0a030';
    return [
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${label(r)}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${barHeight}" fill="${color}"/>`,
      `<text x="${labelWidth + width + 6}" y="${y + 15}">${percent(r.fractionOfLimit)} of limit · ${r.peercdn.stalls} stalls</text>`,
    ].join('');
  });
  const target = labelWidth + 0.97 * chartWidth;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 200}" height="${height}" font-family="sans-serif" font-size="12">`,
    '<text x="10" y="18" font-weight="bold">Offload as a fraction of the physical limit (green ≥ 97%, red = stalls)</text>',
    `<line x1="${target}" y1="24" x2="${target}" y2="${height - 6}" stroke="#888" stroke-dasharray="4 3"/>`,
    ...bars,
    '</svg>',
    '',
  ].join('\n');
}

export function writeReport(dir: string): void {
  const results = latestResults(dir);
  writeFileSync(`${dir}/summary.md`, summaryMarkdown(results));
  writeFileSync(`${dir}/offload.svg`, offloadSvg(results));
}
