import assert from 'node:assert/strict';
import { dashboardQueries } from '../helpers/grafana-dashboard.ts';
import { useBrowserFixture } from '../helpers/browser-fixture.ts';
import { pollExternal } from '../helpers/poll-external.ts';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus.ts';
import { stopViewerPage, waitAllLoaded, waitPlayed } from '../helpers/viewer-page.ts';
import { eventLogger } from '../helpers/wait-for.ts';

// Prometheus scrapes on its own schedule with no notification, and the tracker's fleet figures
// are a snapshot up to 5 s old: both are re-read (pollExternal), at most 240 × 250 ms as a
// liveness guard, not a speed assertion.
const POLL = { intervalMs: 250, attempts: 240 };

interface FleetStats {
  readonly beacons: number;
  readonly viewers: number;
  readonly bytes: { http: number; peer: number; cache: number };
  readonly renditions: Readonly<Record<string, number>>;
}

describe('fleet telemetry from Chromium viewers, scraped by a real Prometheus', function () {
  this.timeout(300_000);
  // The tracker's debug lines as events: it logs each beacon it took in.
  const trackerLog = eventLogger('debug');
  const fixture = useBrowserFixture({ trackerLogger: trackerLog.logger });
  let prometheus: RunningPrometheus | undefined;
  after(async () => {
    await prometheus?.close();
  });

  it("gives an offload ratio in PromQL within 1 percentage point of the origin's own byte count, and every dashboard query runs", async () => {
    const { stack } = fixture();
    const trackerHttp = stack.trackerUrl.replace('ws://', 'http://');
    prometheus = await startPrometheus([new URL(trackerHttp).host]);
    // A buffer longer than the stream: each viewer loads it whole and is stopped with no load in
    // flight (a load cut short cost the origin bytes the page may not have received).
    const extraQuery = { beacon: `${trackerHttp}/beacon`, maxBuffer: '120' };
    const pageA = await fixture().openViewer({ mode: 'vod', viewerId: 'fleet-A', extraQuery });
    await waitPlayed(pageA, 4);
    const pageB = await fixture().openViewer({ mode: 'vod', viewerId: 'fleet-B', extraQuery });
    await waitPlayed(pageB, 16);
    await waitPlayed(pageA, 16);
    // Both play the sample's level 0 (RESOLUTION=320x180): counted by that height, from real hls.js.
    await pollExternal(
      'both viewers counted under their rendition',
      () => stack.tracker.stats().fleet.renditions,
      (renditions: FleetStats['renditions']) => renditions['180p'] === 2,
      POLL,
    );
    await Promise.all([waitAllLoaded(pageA), waitAllLoaded(pageB)]);
    // stop(): hls.js stops its loads, then peercdn.destroy() sends each viewer's final beacon.
    const a = await stopViewerPage(pageA);
    const b = await stopViewerPage(pageB);

    // The tracker's fleet figures are a snapshot up to 5 s old (taken at most once per 5 s, see
    // fleet-aggregator.ts): no event says a newer one is due, so they are re-read like Prometheus's.
    await pollExternal(
      'the final beacons at the tracker',
      () => stack.tracker.stats().fleet,
      (fleetNow: FleetStats) => fleetNow.viewers === 0 && fleetNow.beacons > 0,
      POLL,
    );
    const fleet = ((await (await fetch(`${trackerHttp}/stats.json`)).json()) as { fleet: FleetStats }).fleet;
    const { query } = prometheus;
    await pollExternal(
      'Prometheus scraping the final state',
      () => query('sum(peercdn_fleet_beacons_total)'),
      (beacons) => beacons === fleet.beacons,
      POLL,
    );
    const promOffload = await query(
      'sum(peercdn_fleet_bytes_total{source="peer"}) / sum(peercdn_fleet_bytes_total{source=~"peer|http"})',
    );

    // The origin's truth: what it served these two viewers, against the bytes of the segments
    // they played (what plain hls.js would have fetched from it).
    const counts = stack.origin.counts();
    const originBytes =
      (counts.byViewer['fleet-A']?.segmentBytes ?? 0) + (counts.byViewer['fleet-B']?.segmentBytes ?? 0);
    const playedBytes = [...a.segments, ...b.segments]
      .filter((segment) => segment.source !== 'cache')
      .reduce((sum, segment) => sum + segment.byteLength, 0);
    const originOffload = 1 - originBytes / playedBytes;
    console.log(
      `      PromQL offload ${((promOffload ?? Number.NaN) * 100).toFixed(2)}%, origin ${(originOffload * 100).toFixed(2)}% ` +
        `(origin ${originBytes} B of ${playedBytes} B played; beacons ${fleet.bytes.http} http + ${fleet.bytes.peer} peer; ${fleet.beacons} beacons)`,
    );
    assert.ok(promOffload !== null, 'no offload from Prometheus');
    assert.ok(originOffload > 0.2, `the second viewer got little from the first (origin offload ${originOffload})`);
    assert.ok(Math.abs(promOffload - originOffload) <= 0.01, `PromQL ${promOffload} vs origin ${originOffload}`);
    assert.equal(await query('sum(peercdn_fleet_startup_seconds_count)'), 2, 'one startup per viewer');
    assert.equal(await query('sum(peercdn_fleet_swarm_viewers)'), 0);

    // Every dashboard query is valid PromQL over the series this tracker exports.
    for (const { panel, expr } of dashboardQueries())
      await assert.doesNotReject(query(expr), `dashboard panel "${panel}"`);
  });
});
