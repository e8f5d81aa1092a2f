// Who watches when, and with what access link: seeded draws of each viewer's upload and download
// capacity (log-normal, long-tailed; upload median 2× the bitrate), latencies, and the join/leave
// schedule — a flash crowd joining over the first seconds, then steady churn (each leaver replaced
// by a newcomer, so the audience stays at N).
import type { AccessLink } from './sim-network.ts';

export interface PopulationOptions {
  readonly viewers: number;
  readonly durationMs: number;
  /** Modelled bytes per millisecond of the stream (bitrate). */
  readonly bitrateBytesPerMs: number;
  /** All N join within this window from time 0. */
  readonly joinWindowMs: number;
  /** Share of the audience leaving (and replaced) per minute, 0–1. */
  readonly churnPerMinute: number;
  /** 'internet': drawn links; 'loopback': the browser bench's machine (fast links, no latency). */
  readonly network: 'internet' | 'loopback';
  /** Median upload capacity in bitrates (default 2). */
  readonly uploadMedianBitrates: number;
}

/** One viewing session: when it joins and leaves (Infinity: stays to the end); its index is its node. */
export interface Session {
  readonly joinAtMs: number;
  readonly leaveAtMs: number;
  readonly link: AccessLink;
}

// Log-normal spreads: upload speeds of home lines span more than an order of magnitude.
export const UPLOAD_MEDIAN_BITRATES = 2;
const UPLOAD_SIGMA = 0.9;
const DOWNLOAD_MEDIAN_BITRATES = 8;
const DOWNLOAD_SIGMA = 0.7;
// A viewer who cannot download 1.5× the bitrate would stall with or without peers: out of scope.
const DOWNLOAD_FLOOR_BITRATES = 1.5;
const ACCESS_LATENCY_MEDIAN_MS = 15;
const ORIGIN_RTT_MEDIAN_MS = 30;
// The browser swarm bench: every viewer on 127.0.0.1 of one machine.
const LOOPBACK_LINK: AccessLink = {
  uploadBytesPerMs: 50_000,
  downloadBytesPerMs: 50_000,
  accessLatencyMs: 0.1,
  originRttMs: 2,
};
// A newcomer replacing a leaver arrives within this long.
const REPLACEMENT_DELAY_MS = 5000;

/** A standard normal draw (Box–Muller) from a uniform source. */
export function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function logNormal(random: () => number, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(random));
}

/** One viewer's access link. */
export function drawLink(
  random: () => number,
  bitrateBytesPerMs: number,
  uploadMedianBitrates = UPLOAD_MEDIAN_BITRATES,
): AccessLink {
  return {
    uploadBytesPerMs: logNormal(random, uploadMedianBitrates * bitrateBytesPerMs, UPLOAD_SIGMA),
    downloadBytesPerMs: Math.max(
      DOWNLOAD_FLOOR_BITRATES * bitrateBytesPerMs,
      logNormal(random, DOWNLOAD_MEDIAN_BITRATES * bitrateBytesPerMs, DOWNLOAD_SIGMA),
    ),
    accessLatencyMs: Math.min(150, logNormal(random, ACCESS_LATENCY_MEDIAN_MS, 0.6)),
    originRttMs: Math.min(300, logNormal(random, ORIGIN_RTT_MEDIAN_MS, 0.5)),
  };
}

/**
 * Every session of the run, in join order. With churn c per minute each session lasts an
 * exponential time of mean 1/c minutes, and its leave brings a newcomer a few seconds later: each
 * of the N seats is a chain of sessions.
 */
export function schedule(options: PopulationOptions, random: () => number): Session[] {
  const sessions: Session[] = [];
  const ratePerMs = options.churnPerMinute / 60_000;
  for (let seat = 0; seat < options.viewers; seat++) {
    let joinAtMs = (options.joinWindowMs * seat) / Math.max(1, options.viewers);
    while (joinAtMs < options.durationMs) {
      const lifetimeMs = ratePerMs > 0 ? -Math.log(Math.max(random(), Number.EPSILON)) / ratePerMs : Infinity;
      const leaveAtMs = joinAtMs + lifetimeMs;
      const link =
        options.network === 'loopback'
          ? LOOPBACK_LINK
          : drawLink(random, options.bitrateBytesPerMs, options.uploadMedianBitrates);
      sessions.push({ joinAtMs, leaveAtMs, link });
      joinAtMs = leaveAtMs + random() * REPLACEMENT_DELAY_MS;
    }
  }
  return sessions.sort((a, b) => a.joinAtMs - b.joinAtMs);
}
