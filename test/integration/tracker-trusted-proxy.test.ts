import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { seriesValue } from '../helpers/prometheus-text.ts';

describe('tracker behind a trusted proxy (X-Forwarded-For)', function () {
  this.timeout(20_000);
  const trackers: RunningTracker[] = [];
  const sockets: WebSocket[] = [];
  /** Resolves with 'open' or the HTTP status that refused the upgrade. */
  const connect = (url: string, forwardedFor: string, header = 'X-Forwarded-For'): Promise<'open' | number> => {
    const socket = new WebSocket(url, { perMessageDeflate: false, headers: { [header]: forwardedFor } });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve('open'));
      socket.once('unexpected-response', (_request, response: IncomingMessage) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      socket.once('error', reject);
    });
  };
  /** A tracker allowing one connection per client address, trusting the loopback proxy's headers. */
  const trustingTracker = async (): Promise<RunningTracker> => {
    const tracker = await startTracker({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'off',
      maxConnectionsPerAddress: 1,
      trustedProxies: ['127.0.0.1'],
    });
    trackers.push(tracker);
    return tracker;
  };
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
  });

  it('caps connections per forwarded client address when the proxy is trusted, and per TCP address otherwise', async () => {
    const trusting = await trustingTracker();
    assert.equal(await connect(trusting.url, '198.51.100.1'), 'open');
    assert.equal(await connect(trusting.url, '198.51.100.2'), 'open', 'another viewer behind the same proxy');
    assert.equal(await connect(trusting.url, '198.51.100.1'), 429, 'the same viewer twice');
    assert.deepEqual(trusting.stats().proxied, { forwarded: 3, forwardedInvalid: 0 });
    const metrics = await (await fetch(`${trusting.url.replace('ws:', 'http:')}/metrics`)).text();
    assert.equal(seriesValue(metrics, 'peercdn_tracker_forwarded_connections_total'), 3);

    const plain = await startTracker({ host: '127.0.0.1', port: 0, logLevel: 'off', maxConnectionsPerAddress: 1 });
    trackers.push(plain);
    assert.equal(await connect(plain.url, '198.51.100.1'), 'open');
    assert.equal(await connect(plain.url, '198.51.100.2'), 429, 'an untrusted header changes nothing');
  });

  it('reads RFC 7239 Forwarded from a trusted proxy that writes no X-Forwarded-For', async () => {
    const trusting = await trustingTracker();
    assert.equal(await connect(trusting.url, 'for=198.51.100.1;proto=https', 'Forwarded'), 'open');
    assert.equal(await connect(trusting.url, 'for="[2001:db8::7]:443";proto=https', 'Forwarded'), 'open');
    assert.equal(await connect(trusting.url, 'for=198.51.100.1', 'Forwarded'), 429, 'the same viewer twice');
    assert.deepEqual(trusting.stats().proxied, { forwarded: 3, forwardedInvalid: 0 });
  });
});
