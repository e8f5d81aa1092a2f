// bench/results/sim-summary.md and sim-copies.svg from the newest simulator result per
// configuration (the files `npm run bench -- sim` writes).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { SimFigures } from './sim-figures.ts';
import { DEFAULT_SIM_OPTIONS } from './sim-run.ts';

export interface SimResultFile {
  readonly date: string;
  readonly figures: SimFigures;
}

const percent = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)}%`;

export function simLabel(figures: SimFigures): string {
  const o = figures.options;
  // Results written before the option existed have none: 2-s segments.
  const segmentSeconds = (o as Partial<typeof o>).segmentSeconds ?? DEFAULT_SIM_OPTIONS.segmentSeconds;
  const config = Object.keys(o.config).length === 0 ? '' : ` ${JSON.stringify(o.config)}`;
  const network = o.network === 'loopback' ? ' loopback' : ` unreachable ${percent(o.unreachableShare, 0)}`;
  const sync =
    (o.mode === 'live' && o.liveSyncSegments !== 3 ? ` live-sync ${o.liveSyncSegments}` : '') +
    (segmentSeconds !== DEFAULT_SIM_OPTIONS.segmentSeconds ? ` ${segmentSeconds}-s segments` : '');
  const upload = o.uploadMedianBitrates !== 2 ? ` upload ${o.uploadMedianBitrates}×` : '';
  const refill = o.refillSeconds === null ? '' : ` refill ${o.refillSeconds}s`;
  const tag = o.tag === '' ? '' : `[${o.tag}] `;
  // Results written before the option existed used XHR.
  const streaming = o.httpLoader === 'fetch' ? ' fetch' : '';
  return `${tag}${o.mode}${sync}${upload}${refill}${streaming} N=${o.viewers} ${Number(o.minutes.toFixed(2))} min${network} churn ${percent(o.churnPerMinute, 0)}/min seed ${o.seed}${config}`;
}

/** The newest result per configuration, in file-name order. */
export function latestSimResults(dir: string): SimResultFile[] {
  const byLabel = new Map<string, SimResultFile>();
  for (const file of readdirSync(dir)
    .filter((f) => f.startsWith('sim-') && f.endsWith('.json'))
    .sort()) {
    const read = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as SimResultFile;
    // Results written before an option existed lack it: the default applied then.
    const figures = { ...read.figures, options: { ...DEFAULT_SIM_OPTIONS, ...read.figures.options } };
    byLabel.set(simLabel(figures), { ...read, figures });
  }
  return [...byLabel.values()];
}

export function simSummaryMarkdown(results: readonly SimResultFile[]): string {
  const rows = results.map(({ figures: f, date }) =>
    [
      simLabel(f),
      f.meanViewers.toFixed(0),
      f.originCopiesPerSegment.mean.toFixed(2),
      f.originCopiesPerSegment.max.toFixed(2),
      percent(f.originShare, 2),
      `${percent(f.offload)} (${percent(f.offloadLimit)})`,
      `${f.deadlineMisses} (${percent(f.deadlineMissShare, 3)})`,
      f.startupMs === null ? 'n/a' : `${f.startupMs.median.toFixed(0)} / ${f.startupMs.p95.toFixed(0)}`,
      `${percent(f.upload.top10PercentShare, 0)} / ${percent(f.upload.idleShare, 0)}`,
      f.trackerMessagesPerViewerMinute.toFixed(2),
      `${f.wallSeconds.toFixed(0)} s / ${(f.cpuSeconds as number | undefined)?.toFixed(0) ?? '?'} s`,
      date.slice(0, 16),
    ].join(' | '),
  );
  return [
    '# Swarm simulator results',
    '',
    'Newest run per configuration of `npm run bench -- sim` (bench/README.md: what is modelled).',
    'Copies = origin bytes per segment / segment size, over segments the origin served. Origin share =',
    'origin bytes / bytes the players received. Misses = segments the playhead reached before they were',
    'buffered (stalls), and their share of buffered segments. Startup median / p95 (ms). Upload: share of',
    'peer bytes sent by the top 10% of uploaders / share of viewers that uploaded nothing.',
    '',
    '| configuration | mean viewers | copies mean | copies max | origin share | offload (limit) | deadline misses | startup ms | upload top 10% / idle | tracker msgs per viewer-min | wall / CPU | date |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
    '',
  ].join('\n');
}

/** Bars of mean origin copies per segment per configuration (the target is ≤ 2; red = misses above 0.1%). */
export function simCopiesSvg(results: readonly SimResultFile[]): string {
  const barHeight = 20;
  const labelWidth = 420;
  const chartWidth = 360;
  const maxCopies = Math.max(2.5, ...results.map((r) => r.figures.originCopiesPerSegment.mean));
  const scale = chartWidth / maxCopies;
  const height = 44 + results.length * (barHeight + 6);
  const bars = results.map(({ figures: f }, i) => {
    const y = 32 + i * (barHeight + 6);
    const width = f.originCopiesPerSegment.mean * scale;
    const color = f.deadlineMissShare > 0.001 ? '#d9534f' : f.originCopiesPerSegment.mean <= 2 ? '#2e8b57' : '#e0a030';
    return [
      `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${simLabel(f).replace(/[<>&"]/g, '')}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${barHeight}" fill="${color}"/>`,
      `<text x="${labelWidth + width + 6}" y="${y + 14}">${f.originCopiesPerSegment.mean.toFixed(2)} copies · misses ${percent(f.deadlineMissShare, 2)}</text>`,
    ].join('');
  });
  const target = labelWidth + 2 * scale;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 220}" height="${height}" font-family="sans-serif" font-size="12">`,
    '<text x="10" y="18" font-weight="bold">Simulated origin copies per segment (dashed: target 2; red: deadline misses above 0.1%)</text>',
    `<line x1="${target}" y1="26" x2="${target}" y2="${height - 6}" stroke="#888" stroke-dasharray="4 3"/>`,
    ...bars,
    '</svg>',
    '',
  ].join('\n');
}

export function writeSimReport(dir: string): void {
  const results = latestSimResults(dir);
  writeFileSync(`${dir}/sim-summary.md`, simSummaryMarkdown(results));
  writeFileSync(`${dir}/sim-copies.svg`, simCopiesSvg(results));
}
