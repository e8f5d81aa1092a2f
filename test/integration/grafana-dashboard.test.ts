import assert from 'node:assert/strict';
import { BEACON_VERSION, encodeBeacon } from '../../lib/shared/beacon.ts';
import { startTracker } from '../../tracker/server.ts';
import { dashboardQueries } from '../helpers/grafana-dashboard.ts';

describe('the Grafana dashboard in tracker/grafana/peercdn.json', function () {
  this.timeout(30_000);

  it('parses, and every query names only series the tracker exports (checked against a scrape)', async () => {
    const queries = dashboardQueries();
    assert.ok(queries.length >= 10, `${queries.length} queries`);
    const tracker = await startTracker({ host: '127.0.0.1', port: 0, logLevel: 'off' });
    try {
      const http = tracker.url.replace('ws://', 'http://');
      // One beacon, so that the labelled per-swarm and per-level series exist.
      const body = encodeBeacon({
        version: BEACON_VERSION,
        session: 'dashboard1',
        sequence: 0,
        intervalSeconds: 30,
        library: '0.1.0',
        region: null,
        height: 180,
        startupMs: 500,
        stallsMs: [200],
        peerFallbacks: 1,
        integrityFailures: 0,
        uploadedBytes: 10,
        connectedPeers: 1,
        final: false,
        swarms: [{ swarm: 'ABCDEFGHIJKLMNOPQRST', httpBytes: 100, peerBytes: 300, cacheBytes: 0 }],
      });
      assert.equal((await fetch(`${http}/beacon`, { method: 'POST', body })).status, 204);
      const scrape = await (await fetch(`${http}/metrics`)).text();
      const exported = new Set(
        scrape
          .split('\n')
          .filter((line) => line !== '' && !line.startsWith('#'))
          .map((line) => line.split(/[{ ]/)[0]),
      );
      for (const { panel, expr } of queries) {
        const names = expr.match(/\bpeercdn_[a-z_]+/g) ?? [];
        assert.ok(names.length > 0, `"${panel}" queries no peercdn series: ${expr}`);
        for (const name of names)
          assert.ok(exported.has(name), `"${panel}" queries ${name}, which the tracker does not export`);
      }
    } finally {
      await tracker.close();
    }
  });
});
