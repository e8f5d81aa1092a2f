// Pure figures of a simulator run: origin copies per segment (as the swarm bench counts them: the
// origin's bytes for each segment it served at all over the segment's size), offload against
// 1 − 1/N, deadline misses (a stall = the playhead reached a segment that was not there), startup,
// who carries the swarm (distribution of uploaded bytes) and tracker messages per viewer-minute.
import { median, percentile } from '../figures.ts';
import type { SimOptions, SimRawResult } from './sim-run.ts';

export interface SimFigures {
  readonly options: SimOptions;
  readonly sessions: number;
  /** Mean audience: viewer-minutes over minutes. */
  readonly meanViewers: number;
  readonly originCopiesPerSegment: { readonly mean: number; readonly median: number; readonly max: number };
  /** Share of the watched bytes the origin served (HTTP-only: 1). */
  readonly originShare: number;
  readonly offload: number;
  readonly offloadLimit: number;
  readonly segmentsBuffered: number;
  readonly deadlineMisses: number;
  readonly deadlineMissShare: number;
  readonly viewersWithStalls: number;
  readonly stallSecondsTotal: number;
  readonly startupMs: { readonly median: number; readonly p95: number; readonly max: number } | null;
  readonly peerFallbacks: number;
  readonly upload: {
    /** Share of all peer-uploaded bytes sent by the top 10% / 1% of viewers by bytes uploaded. */
    readonly top10PercentShare: number;
    readonly top1PercentShare: number;
    /** Share of viewers that uploaded nothing. */
    readonly idleShare: number;
    /** Uploaded over watched bytes, per viewer: median and 90th percentile. */
    readonly ratioMedian: number;
    readonly ratioP90: number;
  };
  readonly trackerMessagesPerViewerMinute: number;
  /** Median connected peers per viewer at the end of each simulated minute. */
  readonly connectedPeersMedianByMinute: number[];
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly events: number;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Share of the total held by the largest `fraction` of values (at least one value). */
export function topShare(values: readonly number[], fraction: number): number {
  const total = sum(values);
  if (total === 0) return 0;
  const sorted = [...values].sort((a, b) => b - a);
  return sum(sorted.slice(0, Math.max(1, Math.round(sorted.length * fraction)))) / total;
}

export function simFigures(raw: SimRawResult): SimFigures {
  const { options, viewers } = raw;
  const copies = raw.originBytesBySegment.filter(([, bytes]) => bytes > 0).map(([, bytes]) => bytes / raw.segmentBytes);
  const originBytes = sum(raw.originBytesBySegment.map(([, bytes]) => bytes));
  const watchedBytes = sum(viewers.map((v) => v.httpBytes + v.p2pBytes));
  const viewerMinutes = sum(viewers.map((v) => (v.leftAtMs - v.joinedAtMs) / 60_000));
  const segmentsBuffered = sum(viewers.map((v) => v.segmentsBuffered));
  const deadlineMisses = sum(viewers.map((v) => v.stalls));
  const startups = viewers.flatMap((v) => (v.startupMs === null ? [] : [v.startupMs]));
  const uploaded = viewers.map((v) => v.uploadedBytes);
  const ratios = viewers.map((v) => v.uploadedBytes / Math.max(1, v.httpBytes + v.p2pBytes));
  return {
    options,
    sessions: viewers.length,
    meanViewers: viewerMinutes / options.minutes,
    originCopiesPerSegment: {
      mean: copies.length === 0 ? 0 : sum(copies) / copies.length,
      median: copies.length === 0 ? 0 : median(copies),
      max: copies.length === 0 ? 0 : Math.max(...copies),
    },
    originShare: watchedBytes === 0 ? 0 : originBytes / watchedBytes,
    offload: watchedBytes === 0 ? 0 : 1 - originBytes / watchedBytes,
    offloadLimit: 1 - 1 / options.viewers,
    segmentsBuffered,
    deadlineMisses,
    deadlineMissShare: segmentsBuffered === 0 ? 0 : deadlineMisses / segmentsBuffered,
    viewersWithStalls: viewers.filter((v) => v.stalls > 0).length,
    stallSecondsTotal: sum(viewers.map((v) => v.stallMs)) / 1000,
    startupMs:
      startups.length === 0
        ? null
        : { median: median(startups), p95: percentile(startups, 95), max: Math.max(...startups) },
    peerFallbacks: sum(viewers.map((v) => v.peerFallbacks)),
    upload: {
      top10PercentShare: topShare(uploaded, 0.1),
      top1PercentShare: topShare(uploaded, 0.01),
      idleShare: viewers.length === 0 ? 0 : uploaded.filter((bytes) => bytes === 0).length / viewers.length,
      ratioMedian: ratios.length === 0 ? 0 : median(ratios),
      ratioP90: ratios.length === 0 ? 0 : percentile(ratios, 90),
    },
    trackerMessagesPerViewerMinute: viewerMinutes === 0 ? 0 : raw.trackerFrames / viewerMinutes,
    connectedPeersMedianByMinute: raw.connectedPeersByMinute.map((counts) =>
      counts.length === 0 ? 0 : median(counts),
    ),
    wallSeconds: raw.wallMs / 1000,
    cpuSeconds: raw.cpuMs / 1000,
    events: raw.events,
  };
}
