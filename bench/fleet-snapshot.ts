// `npm run bench -- fleet`: what one /stats.json or /metrics costs the tracker's event loop when the
// fleet aggregator is full: 100,000 sessions (its cap) each reporting 8 distinct swarms (the worst
// case: 800,000 swarms to rank). Times one snapshot taken afresh, one served again within its
// 5 s, and the ingest that runs the 5-s refresh. Socket-free, on a fake clock.
import { performance } from 'node:perf_hooks';
import { FleetAggregator } from '../tracker/fleet-aggregator.ts';
import { typicalBeacon } from './beacon.ts';

export const FLEET_HELP = `Usage: npm run bench -- fleet [--sessions 100000] [--swarms-per-session 8]

The cost of a fleet snapshot (each /stats.json and /metrics scrape) with the aggregator full.`;

const option = (args: readonly string[], name: string, fallback: number): number => {
  const at = args.indexOf(name);
  const value = at === -1 ? fallback : Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};

const timedMs = (run: () => unknown): number => {
  const startMs = performance.now();
  run();
  return Math.round((performance.now() - startMs) * 10) / 10;
};

export function runFleetSnapshotBenchmark(args: readonly string[]): void {
  const sessions = option(args, '--sessions', 100_000);
  const swarmsPerSession = option(args, '--swarms-per-session', 8);
  let nowMs = 0;
  const fleet = new FleetAggregator({ topSwarms: 20, maxSessions: sessions, nowMs: () => nowMs });
  const swarmId = (n: number): string => n.toString(36).padStart(20, 'x');
  for (let viewer = 0; viewer < sessions; viewer++) {
    const swarms = Array.from({ length: swarmsPerSession }, (_, k) => ({
      swarm: swarmId(viewer * swarmsPerSession + k),
      httpBytes: 1,
      peerBytes: 1,
      cacheBytes: 0,
    }));
    fleet.ingest({
      ...typicalBeacon(viewer, 0),
      session: `s${viewer.toString(36).padStart(10, '0')}`,
      intervalSeconds: 3600,
      swarms,
    });
  }
  const firstSnapshotMs = timedMs(() => fleet.snapshot());
  const repeatedSnapshotMs = timedMs(() => {
    for (let i = 0; i < 100; i++) fleet.snapshot();
  });
  nowMs += 5_000;
  const refreshingIngestMs = timedMs(() =>
    fleet.ingest({ ...typicalBeacon(1, 0), session: 'zzzzzzzzzz', intervalSeconds: 3600 }),
  );
  const nextSnapshotMs = timedMs(() => fleet.snapshot());
  console.log(
    JSON.stringify({
      benchmark: 'fleet',
      sessions,
      swarmsPerSession,
      firstSnapshotMs,
      hundredSnapshotsWithin5sMs: repeatedSnapshotMs,
      snapshotAfter5sMs: nextSnapshotMs,
      ingestThatRefreshesMs: refreshingIngestMs,
    }),
  );
}
