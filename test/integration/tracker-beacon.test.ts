import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { BEACON_VERSION, encodeBeacon, MAX_BEACON_BYTES, type Beacon } from '../../lib/shared/beacon.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { mintSwarmToken } from '../../tracker/token.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { jsonInbox } from '../helpers/json-inbox.ts';
import { seriesValue } from '../helpers/prometheus-text.ts';
import { guarded } from '../helpers/wait-for.ts';

const SWARM = wireId('beacon-swarm');
const SECRET = 'a-secret-of-at-least-16-chars';

function beacon(session: string, sequence: number, extra: Partial<Beacon> = {}): Beacon {
  return {
    version: BEACON_VERSION,
    session,
    sequence,
    intervalSeconds: 30,
    library: '0.1.0',
    region: 'eu-west',
    height: 180,
    startupMs: 900,
    stallsMs: [],
    peerFallbacks: 0,
    integrityFailures: 0,
    uploadedBytes: 1000,
    connectedPeers: 1,
    final: false,
    swarms: [{ swarm: SWARM, httpBytes: 3000, peerBytes: 1000, cacheBytes: 0 }],
    ...extra,
  };
}

interface Reply {
  readonly status: number;
  readonly body: string;
}

/** A raw HTTP request, so the test controls headers, chunking and what is sent after a refusal. */
function send(
  tracker: RunningTracker,
  options: { method?: string; path?: string; body?: string; headers?: Record<string, string>; chunked?: boolean },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body ?? '';
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: tracker.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/beacon',
        headers: {
          'Content-Type': 'text/plain;charset=UTF-8',
          ...(options.chunked === true ? {} : { 'Content-Length': Buffer.byteLength(body) }),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    // A refused oversized body may be cut off while it is still being written.
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    req.end(body);
  });
}

const httpUrl = (tracker: RunningTracker): string => tracker.url.replace('ws://', 'http://');

describe('tracker POST /beacon', function () {
  this.timeout(30_000);
  let tracker: RunningTracker;
  afterEach(async () => {
    await tracker.close();
  });

  it('aggregates an accepted beacon into /stats.json and the peercdn_fleet_* series', async () => {
    tracker = await startTracker({ host: '127.0.0.1', port: 0, logLevel: 'off' });
    assert.equal((await send(tracker, { body: encodeBeacon(beacon('sessionA1', 0)) })).status, 204);
    assert.equal(
      (
        await send(tracker, {
          body: encodeBeacon(
            beacon('sessionB1', 0, {
              swarms: [{ swarm: SWARM, httpBytes: 1000, peerBytes: 5000, cacheBytes: 10 }],
              stallsMs: [1500],
            }),
          ),
        })
      ).status,
      204,
    );
    const stats = (await (await fetch(`${httpUrl(tracker)}/stats.json`)).json()) as {
      fleet: { viewers: number; offloadRatio: number; bytes: Record<string, number>; regions: Record<string, number> };
    };
    assert.equal(stats.fleet.viewers, 2);
    assert.deepEqual(stats.fleet.bytes, { http: 4000, peer: 6000, cache: 10 });
    assert.equal(stats.fleet.offloadRatio, 0.6);
    assert.deepEqual(stats.fleet.regions, { 'eu-west': 2 });
    const text = await (await fetch(`${httpUrl(tracker)}/metrics`)).text();
    const expected: Record<string, number> = {
      peercdn_fleet_beacons_total: 2,
      peercdn_fleet_viewers: 2,
      'peercdn_fleet_bytes_total{source="peer"}': 6000,
      'peercdn_fleet_bytes_total{source="http"}': 4000,
      peercdn_fleet_offload_ratio: 0.6,
      [`peercdn_fleet_swarm_viewers{swarm="${SWARM}"}`]: 2,
      [`peercdn_fleet_swarm_bytes_total{swarm="${SWARM}",source="cache"}`]: 10,
      'peercdn_fleet_swarm_viewers{swarm="other"}': 0,
      peercdn_fleet_uploaded_bytes_total: 2000,
      peercdn_fleet_startup_seconds_count: 2,
      'peercdn_fleet_startup_seconds_bucket{le="1"}': 2,
      peercdn_fleet_stall_seconds_count: 1,
      'peercdn_fleet_stall_seconds_bucket{le="1"}': 0,
      'peercdn_fleet_stall_seconds_bucket{le="2"}': 1,
      'peercdn_fleet_rendition_viewers{rendition="180p"}': 2,
    };
    for (const [series, value] of Object.entries(expected)) assert.equal(seriesValue(text, series), value, series);
    assert.match(text, /^# TYPE peercdn_fleet_startup_seconds histogram$/m);
    assert.match(text, /^# TYPE peercdn_tracker_peers gauge$/m, 'the tracker series are still there');
  });

  it('refuses wrong methods, bad bodies, oversized and chunked-oversized bodies, replays and foreign Origins, and counts each reason', async () => {
    tracker = await startTracker({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'off',
      allowedOrigins: ['https://video.example.test'],
    });
    const ok = encodeBeacon(beacon('sessionC1', 0));
    const cases: [string, Promise<Reply>, number][] = [];
    cases.push(['GET', send(tracker, { method: 'GET' }), 405]);
    cases.push(['not JSON', send(tracker, { body: '{"version":1,' }), 400]);
    cases.push([
      'an extra key',
      send(tracker, { body: JSON.stringify({ ...beacon('sessionC2', 0), ip: '203.0.113.1' }) }),
      400,
    ]);
    cases.push(['a declared length over the cap', send(tracker, { body: 'x'.repeat(MAX_BEACON_BYTES + 1) }), 413]);
    cases.push(['a chunked body over the cap', send(tracker, { body: 'x'.repeat(64 * 1024), chunked: true }), 413]);
    cases.push(['a foreign Origin', send(tracker, { body: ok, headers: { Origin: 'https://elsewhere.test' } }), 403]);
    for (const [name, reply, status] of cases) assert.equal((await reply).status, status, name);
    assert.equal((await send(tracker, { body: ok, headers: { Origin: 'https://video.example.test' } })).status, 204);
    assert.equal((await send(tracker, { body: ok })).status, 409, 'a replay');
    const { fleet } = (await (await fetch(`${httpUrl(tracker)}/stats.json`)).json()) as {
      fleet: { beacons: number; rejectedBeacons: Record<string, number> };
    };
    assert.equal(fleet.beacons, 1);
    assert.deepEqual(fleet.rejectedBeacons, {
      'method-not-allowed': 1,
      'origin-not-allowed': 1,
      'rate-limited': 0,
      'too-large': 2,
      invalid: 2,
      'swarm-refused': 0,
      replay: 1,
    });
    const text = await (await fetch(`${httpUrl(tracker)}/metrics`)).text();
    assert.equal(seriesValue(text, 'peercdn_fleet_rejected_beacons_total{reason="too-large"}'), 2);
  });

  it('limits beacons per address to the burst, then to the rate', async () => {
    let nowMs = 0;
    tracker = await startTracker(
      { host: '127.0.0.1', port: 0, logLevel: 'off', beaconRatePerSecond: 1, beaconBurst: 3 },
      { nowMs: () => nowMs },
    );
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await send(tracker, { body: encodeBeacon(beacon('sessionD1', i)) })).status);
    assert.deepEqual(statuses, [204, 204, 204, 429]);
    nowMs += 1000;
    assert.equal((await send(tracker, { body: encodeBeacon(beacon('sessionD1', 4)) })).status, 204);
    assert.equal((await send(tracker, { body: encodeBeacon(beacon('sessionD1', 5)) })).status, 429);
  });

  it('behind a trusted proxy, limits beacons per forwarded client address, as WebSocket upgrades are', async () => {
    tracker = await startTracker(
      {
        host: '127.0.0.1',
        port: 0,
        logLevel: 'off',
        beaconRatePerSecond: 1,
        beaconBurst: 1,
        trustedProxies: ['127.0.0.1'],
      },
      // A stopped clock: no token comes back between the beacons.
      { nowMs: () => 0 },
    );
    const from = async (forwardedFor: string, session: string): Promise<number> =>
      (await send(tracker, { headers: { 'X-Forwarded-For': forwardedFor }, body: encodeBeacon(beacon(session, 0)) }))
        .status;
    // Before, every beacon through the proxy shared the proxy's one bucket: the second viewer got 429.
    assert.equal(await from('198.51.100.1', 'sessionP1'), 204);
    assert.equal(await from('203.0.113.9, 198.51.100.2', 'sessionP2'), 204, 'another viewer behind the proxy');
    assert.equal(await from('198.51.100.1', 'sessionP3'), 429, 'the first viewer again');
    assert.equal(tracker.stats().fleet.rejectedBeacons['rate-limited'], 1);
  });

  it('with swarm tokens, takes only beacons whose URL carries a token for every swarm they report (expired up to the grace)', async () => {
    let nowUnixMs = Date.UTC(2026, 0, 1);
    tracker = await startTracker(
      { host: '127.0.0.1', port: 0, logLevel: 'off', swarmTokenSecret: SECRET },
      { nowUnixMs: () => nowUnixMs },
    );
    const token = mintSwarmToken({ secret: SECRET, infoHash: SWARM, expiresAtSeconds: nowUnixMs / 1000 + 600 });
    const other = mintSwarmToken({
      secret: SECRET,
      infoHash: wireId('another-swarm'),
      expiresAtSeconds: nowUnixMs / 1000 + 600,
    });
    const forged = mintSwarmToken({
      secret: 'not-the-secret-at-all',
      infoHash: SWARM,
      expiresAtSeconds: nowUnixMs / 1000 + 600,
    });
    assert.equal((await send(tracker, { body: encodeBeacon(beacon('sessionE1', 0)) })).status, 403, 'no token');
    assert.equal(
      (await send(tracker, { path: `/beacon?token=${other}`, body: encodeBeacon(beacon('sessionE1', 0)) })).status,
      403,
      'a token for another swarm',
    );
    assert.equal(
      (await send(tracker, { path: `/beacon?token=${forged}`, body: encodeBeacon(beacon('sessionE1', 0)) })).status,
      403,
      'a wrongly signed token',
    );
    assert.equal(
      (
        await send(tracker, {
          path: `/beacon?token=${other}&token=${token}`,
          body: encodeBeacon(beacon('sessionE1', 0)),
        })
      ).status,
      204,
    );
    nowUnixMs += 5 * 3_600_000; // expired 5 h ago: within the 6 h grace
    assert.equal(
      (await send(tracker, { path: `/beacon?token=${token}`, body: encodeBeacon(beacon('sessionE1', 1)) })).status,
      204,
    );
    nowUnixMs += 2 * 3_600_000;
    assert.equal(
      (await send(tracker, { path: `/beacon?token=${token}`, body: encodeBeacon(beacon('sessionE1', 2)) })).status,
      403,
      'past the grace',
    );
    // Before, a beacon naming no swarm needed no token: a tokenless one set the fleet gauges at will.
    const fresh = mintSwarmToken({ secret: SECRET, infoHash: SWARM, expiresAtSeconds: nowUnixMs / 1000 + 600 });
    const noSwarm = (sequence: number): string =>
      encodeBeacon(beacon('sessionE2', sequence, { swarms: [], connectedPeers: 2 ** 31 }));
    assert.equal((await send(tracker, { body: noSwarm(0) })).status, 403, 'no swarm and no token');
    assert.equal(
      (await send(tracker, { path: `/beacon?token=${forged}`, body: noSwarm(1) })).status,
      403,
      'no swarm, a forged token',
    );
    assert.equal(
      (await send(tracker, { path: `/beacon?token=${token}`, body: noSwarm(2) })).status,
      403,
      'no swarm, a token past the grace',
    );
    assert.equal(tracker.stats().fleet.connectedPeers, 1, 'the refused beacons changed nothing');
    assert.equal(
      (
        await send(tracker, {
          path: `/beacon?token=${fresh}`,
          body: encodeBeacon(beacon('sessionE3', 0, { swarms: [] })),
        })
      ).status,
      204,
      'a viewer not in a swarm yet, with a valid token in its beacon URL',
    );
  });
});

/**
 * A raw socket that sends `head`, then one more byte of `trickle` every 20 ms (a slow-loris client),
 * until the server closes it; resolves with what the server wrote. Guarded: a server that never
 * closes it fails the test, naming `what`.
 */
function trickle(tracker: RunningTracker, head: string, trickleText: string, what: string): Promise<string> {
  const socket = connect(tracker.port, '127.0.0.1');
  let received = '';
  let sent = 0;
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => (received += text));
  socket.on('error', () => undefined);
  socket.write(head);
  const dripping = setInterval(() => {
    if (!socket.destroyed && !socket.writableEnded) socket.write(trickleText.charAt(sent++ % trickleText.length));
  }, 20);
  const closed = once(socket, 'close').then(() => received);
  return guarded(closed, what, 10_000).finally(() => {
    clearInterval(dripping);
    socket.destroy();
  });
}

describe('tracker HTTP requests that arrive too slowly', function () {
  this.timeout(30_000);
  let tracker: RunningTracker;
  afterEach(async () => {
    await tracker.close();
  });

  it('answers 408 and closes a beacon body or request headers sent a byte at a time, while WebSockets upgraded before live on', async () => {
    tracker = await startTracker({ host: '127.0.0.1', port: 0, logLevel: 'off', httpRequestTimeoutMs: 200 });
    const socket = new WebSocket(tracker.url, { perMessageDeflate: false });
    const inbox = jsonInbox(socket);
    await once(socket, 'open');
    const announce = (): void =>
      socket.send(JSON.stringify({ action: 'announce', info_hash: SWARM, peer_id: wireId('viewer'), numwant: 0 }));
    announce();
    assert.equal((await inbox())['interval'], 120);
    const body = await trickle(
      tracker,
      'POST /beacon HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 2000\r\n\r\n{',
      'x',
      'the tracker to close a socket sending its beacon body a byte at a time',
    );
    assert.match(body, /^HTTP\/1\.1 408 /);
    const headers = await trickle(
      tracker,
      'GET /health HTTP/1.1\r\n',
      'X-Slow: yes\r\n',
      'the tracker to close a socket sending its request headers a byte at a time',
    );
    assert.match(headers, /^HTTP\/1\.1 408 /);
    assert.equal(tracker.stats().fleet.beacons, 0);
    // The WebSocket opened before both slow requests started and outlived them: the HTTP timeouts end at the upgrade.
    assert.equal(socket.readyState, WebSocket.OPEN);
    announce();
    assert.equal((await inbox())['interval'], 120);
    socket.terminate();
  });
});
