import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { offer, wireId } from '../helpers/fake-connection.ts';
import { seriesValue } from '../helpers/prometheus-text.ts';

const SWARM = wireId('metrics-integration');

describe('tracker /metrics endpoint', function () {
  this.timeout(30_000);
  let tracker: RunningTracker;
  const sockets: WebSocket[] = [];
  const scrape = async (): Promise<string> => {
    const response = await fetch(`${tracker.url.replace('ws://', 'http://')}/metrics`);
    assert.equal(response.status, 200);
    assert.match(String(response.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  const open = async (): Promise<{ socket: WebSocket; next: () => Promise<Record<string, unknown>> }> => {
    const socket = new WebSocket(tracker.url, { perMessageDeflate: false });
    sockets.push(socket);
    await once(socket, 'open');
    return {
      socket,
      next: async () => JSON.parse(String((await once(socket, 'message'))[0])) as Record<string, unknown>,
    };
  };

  beforeEach(async () => {
    tracker = await startTracker({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'off',
      allowedOrigins: ['http://video.example.test'],
    });
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await tracker.close();
  });

  it('serves the expected series in Prometheus text, and their values move with announces, relays and rejections', async () => {
    const before = await scrape();
    for (const name of [
      'peercdn_tracker_sockets',
      'peercdn_tracker_peers',
      'peercdn_tracker_swarms',
      'peercdn_tracker_offers_relayed_total',
      'peercdn_tracker_answers_relayed_total',
    ]) {
      assert.match(before, new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'), name);
      assert.equal(seriesValue(before, name), 0, name);
    }
    assert.equal(seriesValue(before, 'peercdn_tracker_announces_total{event="started"}'), 0);
    assert.equal(seriesValue(before, 'peercdn_tracker_rejected_messages_total{reason="not-json"}'), 0);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      assert.match(before, new RegExp(`^${name} `, 'm'), name);
    }

    const a = await open();
    const b = await open();
    a.socket.send(
      JSON.stringify({ action: 'announce', info_hash: SWARM, peer_id: wireId('a'), event: 'started', numwant: 0 }),
    );
    await a.next();
    b.socket.send(
      JSON.stringify({
        action: 'announce',
        info_hash: SWARM,
        peer_id: wireId('b'),
        event: 'started',
        numwant: 1,
        offers: [offer(1)],
      }),
    );
    await b.next();
    await a.next(); // the relayed offer
    a.socket.send(
      JSON.stringify({
        action: 'announce',
        info_hash: SWARM,
        peer_id: wireId('a'),
        to_peer_id: wireId('b'),
        offer_id: wireId('offer1'),
        answer: { type: 'answer', sdp: 'v=0' },
      }),
    );
    await b.next(); // the relayed answer
    a.socket.send('not json');
    await a.next();
    const refused = new WebSocket(tracker.url, { origin: 'http://elsewhere.test' });
    sockets.push(refused);
    // terminate() in afterEach reports that the refused socket never opened.
    refused.on('error', () => undefined);
    await once(refused, 'unexpected-response');

    const after = await scrape();
    const expected: Record<string, number> = {
      peercdn_tracker_sockets: 2,
      peercdn_tracker_peers: 2,
      peercdn_tracker_swarms: 1,
      'peercdn_tracker_announces_total{event="started"}': 2,
      peercdn_tracker_offers_relayed_total: 1,
      peercdn_tracker_answers_relayed_total: 1,
      'peercdn_tracker_rejected_messages_total{reason="not-json"}': 1,
      'peercdn_tracker_rejected_connections_total{reason="origin-not-allowed"}': 1,
    };
    for (const [series, value] of Object.entries(expected)) assert.equal(seriesValue(after, series), value, series);
    assert.ok((seriesValue(after, 'process_cpu_seconds_total') ?? -1) >= 0);
  });

  it('answers HEAD and keeps /stats.json in step with the same counters', async () => {
    const a = await open();
    a.socket.send(JSON.stringify({ action: 'announce', info_hash: SWARM, peer_id: wireId('a') }));
    await a.next();
    const stats = (await (await fetch(`${tracker.url.replace('ws://', 'http://')}/stats.json`)).json()) as {
      peers: number;
      rejectedConnections: Record<string, number>;
    };
    assert.equal(stats.peers, seriesValue(await scrape(), 'peercdn_tracker_peers'));
    assert.deepEqual(stats.rejectedConnections, { 'origin-not-allowed': 0, 'too-many-connections': 0 });
    assert.equal((await fetch(`${tracker.url.replace('ws://', 'http://')}/metrics`, { method: 'HEAD' })).status, 200);
  });
});
