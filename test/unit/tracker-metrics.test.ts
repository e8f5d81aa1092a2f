import assert from 'node:assert/strict';
import { register as globalRegistry } from 'prom-client';
import { createConnectionCounters } from '../../tracker/connection-gate.ts';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';
import { TrackerCore } from '../../tracker/core.ts';
import { createTrackerMetrics, type TrackerMetricsSnapshot } from '../../tracker/metrics.ts';
import { FakeConnection, offer, wireId } from '../helpers/fake-connection.ts';
import { seriesValue } from '../helpers/prometheus-text.ts';

const SWARM = wireId('metrics-swarm');

describe('tracker metrics', () => {
  it('exposes the core counters and sizes, read at scrape time, as Prometheus series', async () => {
    const core = new TrackerCore({ ...DEFAULT_TRACKER_CONFIG, nowMs: () => 0, random: () => 0 });
    const counters = createConnectionCounters();
    let sockets = 0;
    const metrics = createTrackerMetrics((): TrackerMetricsSnapshot => ({ ...core.snapshot(), ...counters, sockets }));
    assert.match(metrics.contentType, /^text\/plain/);

    const before = await metrics.render();
    assert.equal(seriesValue(before, 'peercdn_tracker_peers'), 0);
    assert.equal(
      seriesValue(before, 'peercdn_tracker_rejected_messages_total{reason="rate-limited"}'),
      0,
      'reasons exist before they happen',
    );

    const a = new FakeConnection();
    const b = new FakeConnection();
    core.handle(JSON.stringify({ action: 'announce', info_hash: SWARM, peer_id: wireId('a'), event: 'started' }), a);
    core.handle(JSON.stringify({ action: 'announce', info_hash: SWARM, peer_id: wireId('b'), offers: [offer(1)] }), b);
    core.handle(
      JSON.stringify({
        action: 'announce',
        info_hash: SWARM,
        peer_id: wireId('a'),
        to_peer_id: wireId('b'),
        offer_id: wireId('offer1'),
        answer: { type: 'answer', sdp: 'v=0' },
      }),
      a,
    );
    core.handle(
      JSON.stringify({
        action: 'announce',
        info_hash: SWARM,
        peer_id: wireId('a'),
        to_peer_id: wireId('b'),
        offer_id: wireId('offer1'),
        answer: { type: 'answer', sdp: 'v=0' },
      }),
      a,
    );
    core.handle(JSON.stringify({ action: 'announce', info_hash: SWARM, peer_id: wireId('a') }), b);
    core.handle('not json', a);
    counters.rejectedConnections['origin-not-allowed'] += 2;
    counters.droppedConnections['slow-reader'] += 1;
    sockets = 2;

    const after = await metrics.render();
    const expected: Record<string, number> = {
      peercdn_tracker_sockets: 2,
      peercdn_tracker_connections: 2,
      peercdn_tracker_peers: 2,
      peercdn_tracker_swarms: 1,
      'peercdn_tracker_announces_total{event="started"}': 1,
      'peercdn_tracker_announces_total{event="update"}': 1,
      'peercdn_tracker_announces_total{event="stopped"}': 0,
      peercdn_tracker_offers_relayed_total: 1,
      peercdn_tracker_answers_relayed_total: 1,
      'peercdn_tracker_rejected_messages_total{reason="not-json"}': 1,
      'peercdn_tracker_rejected_messages_total{reason="peer-id-taken"}': 1,
      peercdn_tracker_answers_unrelayed_total: 1,
      peercdn_tracker_answers_expired_total: 0,
      peercdn_tracker_offers_withheld_total: 0,
      peercdn_tracker_benchings_total: 0,
      peercdn_tracker_connections_benched: 0,
      peercdn_tracker_relayed_offers_evicted_total: 0,
      peercdn_tracker_peers_held_back: 2,
      'peercdn_tracker_rejected_messages_total{reason="token-expired"}': 0,
      'peercdn_tracker_rejected_connections_total{reason="origin-not-allowed"}': 2,
      'peercdn_tracker_rejected_connections_total{reason="too-many-connections"}': 0,
      'peercdn_tracker_dropped_connections_total{reason="slow-reader"}': 1,
    };
    for (const [series, value] of Object.entries(expected)) assert.equal(seriesValue(after, series), value, series);
    assert.match(after, /# TYPE peercdn_tracker_offers_relayed_total counter/);
    assert.match(after, /# TYPE peercdn_tracker_peers gauge/);
    assert.match(after, /^process_cpu_user_seconds_total /m, 'process default metrics');
    assert.match(after, /^nodejs_heap_size_used_bytes /m);

    const again = await metrics.render();
    assert.equal(
      seriesValue(again, 'peercdn_tracker_offers_relayed_total'),
      1,
      'a second scrape reports the same total, not double',
    );
  });

  it("registers nothing in prom-client's global registry, so two trackers in one process do not clash", async () => {
    const snapshot = (): TrackerMetricsSnapshot => ({
      ...new TrackerCore({ ...DEFAULT_TRACKER_CONFIG, nowMs: () => 0, random: () => 0 }).snapshot(),
      ...createConnectionCounters(),
      sockets: 0,
    });
    const first = createTrackerMetrics(snapshot);
    const second = createTrackerMetrics(snapshot);
    assert.equal(seriesValue(await first.render(), 'peercdn_tracker_sockets'), 0);
    assert.equal(seriesValue(await second.render(), 'peercdn_tracker_sockets'), 0);
    assert.equal(globalRegistry.getSingleMetric('peercdn_tracker_peers'), undefined);
  });
});
