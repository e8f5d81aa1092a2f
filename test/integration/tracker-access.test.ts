import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import Client from 'bittorrent-tracker/client';
import { WebSocket } from 'ws';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { mintSwarmToken } from '../../tracker/token.ts';
import { wireId } from '../helpers/fake-connection.ts';
import { jsonInbox } from '../helpers/json-inbox.ts';

const SWARM = wireId('access-swarm');
const OTHER = wireId('access-other');
const SECRET = 'integration-secret-0123';
const NOW_SECONDS = 2_000_000_000;
const hex = (id: string): string => Buffer.from(id, 'latin1').toString('hex');

interface Opened {
  readonly socket: WebSocket;
  next(): Promise<Record<string, unknown>>;
}

describe('tracker access control and limits', function () {
  this.timeout(30_000);
  const trackers: RunningTracker[] = [];
  const sockets: WebSocket[] = [];
  const start = async (
    settings: Parameters<typeof startTracker>[0],
    nowUnixMs = () => NOW_SECONDS * 1000,
  ): Promise<RunningTracker> => {
    const tracker = await startTracker({ host: '127.0.0.1', port: 0, logLevel: 'off', ...settings }, { nowUnixMs });
    trackers.push(tracker);
    return tracker;
  };
  /** Open a socket; resolves once open, or with the HTTP status that refused the upgrade. */
  const connect = (url: string, origin?: string): Promise<Opened | { status: number; body: string }> => {
    const socket = new WebSocket(url, { perMessageDeflate: false, ...(origin === undefined ? {} : { origin }) });
    sockets.push(socket);
    const next = jsonInbox(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve({ socket, next }));
      socket.once('unexpected-response', (_request, response: IncomingMessage) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      socket.once('error', reject);
    });
  };
  const opened = async (url: string, origin?: string): Promise<Opened> => {
    const result = await connect(url, origin);
    if (!('socket' in result)) assert.fail(`upgrade refused with ${result.status}`);
    return result;
  };
  const announce = (client: Opened, peer: string, infoHash = SWARM): Promise<Record<string, unknown>> => {
    client.socket.send(JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: wireId(peer), numwant: 0 }));
    return client.next();
  };
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await Promise.all(trackers.splice(0).map((tracker) => tracker.close()));
  });

  it('refuses a browser Origin not on the allowlist with HTTP 403 and accepts a listed one', async () => {
    const tracker = await start({ allowedOrigins: ['http://video.example.test', 'http://*.cdn.example.test'] });
    assert.deepEqual(await connect(tracker.url, 'http://evil.example.test'), {
      status: 403,
      body: 'origin not allowed\n',
    });
    assert.deepEqual(await connect(tracker.url, 'http://video.example.test.evil.test'), {
      status: 403,
      body: 'origin not allowed\n',
    });
    const allowed = await opened(tracker.url, 'http://video.example.test');
    assert.equal((await announce(allowed, 'a'))['incomplete'], 1);
    await opened(tracker.url, 'http://edge1.cdn.example.test');
    assert.deepEqual(tracker.stats().rejectedConnections, { 'origin-not-allowed': 2, 'too-many-connections': 0 });
    assert.equal(tracker.stats().sockets, 2);
  });

  it('admits a swarm with a valid token in the URL, and answers an expired token or another swarm with a failure', async () => {
    const tracker = await start({ swarmTokenSecret: SECRET });
    const valid = mintSwarmToken({ secret: SECRET, infoHash: SWARM, expiresAtSeconds: NOW_SECONDS + 3600 });
    const expired = mintSwarmToken({ secret: SECRET, infoHash: SWARM, expiresAtSeconds: NOW_SECONDS - 1 });

    const member = await opened(`${tracker.url}/?token=${valid}`);
    assert.deepEqual(await announce(member, 'a'), {
      action: 'announce',
      interval: 120,
      info_hash: SWARM,
      complete: 0,
      incomplete: 1,
    });
    assert.deepEqual(await announce(member, 'a', OTHER), {
      action: 'announce',
      'failure reason': 'no swarm token for this info_hash',
      info_hash: OTHER,
    });

    const late = await opened(`${tracker.url}/?token=${expired}`);
    assert.deepEqual(await announce(late, 'b'), {
      action: 'announce',
      'failure reason': 'swarm token expired: reconnect with a fresh token',
      info_hash: SWARM,
    });
    const without = await opened(tracker.url);
    assert.match(String((await announce(without, 'c'))['failure reason']), /swarm token required/);
    const forged = await opened(`${tracker.url}/?token=${valid.slice(0, -2)}AA`);
    assert.match(String((await announce(forged, 'd'))['failure reason']), /swarm token invalid/);

    assert.deepEqual(
      [tracker.stats().peers, tracker.stats().rejectedByReason],
      [1, { 'token-wrong-swarm': 1, 'token-expired': 1, 'token-missing': 1, 'token-invalid': 1 }],
    );
  });

  it("works with bittorrent-tracker's client, which keeps the token in its announce URL", async () => {
    const tracker = await start({ swarmTokenSecret: SECRET });
    const token = mintSwarmToken({ secret: SECRET, infoHash: SWARM, expiresAtSeconds: NOW_SECONDS + 3600 });
    const makeClient = (infoHash: string): InstanceType<typeof Client> =>
      new Client({
        infoHash: hex(infoHash),
        peerId: hex(wireId('bt-client')),
        announce: [`${tracker.url}/?token=${token}`],
        port: 6881,
        getAnnounceOpts: () => ({ numwant: 0 }),
      });
    const admitted = makeClient(SWARM);
    const refused = makeClient(OTHER);
    try {
      const update = new Promise<{ incomplete: number }>((resolve) => admitted.on('update', resolve));
      const warning = new Promise<Error>((resolve) => refused.on('warning', resolve));
      admitted.start();
      refused.start();
      assert.equal((await update).incomplete, 1);
      assert.match((await warning).message, /no swarm token for this info_hash/);
    } finally {
      admitted.destroy();
      refused.destroy();
    }
  });

  it('refuses connections beyond the per-address cap with HTTP 429, and admits again once one closes', async () => {
    const tracker = await start({ maxConnectionsPerAddress: 2 });
    const first = await opened(tracker.url);
    await opened(tracker.url);
    assert.deepEqual(await connect(tracker.url), { status: 429, body: 'too many connections from this address\n' });
    const closed = once(first.socket, 'close');
    first.socket.close();
    await closed;
    // The client saw the close; the tracker may not have yet: retry until its slot is free.
    let third = await connect(tracker.url);
    while (!('socket' in third)) third = await connect(tracker.url);
    assert.equal((await announce(third, 'c'))['incomplete'], 1);
    assert.ok(tracker.stats().rejectedConnections['too-many-connections'] >= 1);
  });

  it('answers announces beyond the per-connection rate with a failure and keeps the socket open', async () => {
    const tracker = await start({ announceBurst: 2, announceRatePerSecond: 0.001 });
    const client = await opened(tracker.url);
    assert.equal((await announce(client, 'a'))['failure reason'], undefined);
    assert.equal((await announce(client, 'a'))['failure reason'], undefined);
    assert.deepEqual(await announce(client, 'a'), {
      action: 'announce',
      'failure reason': 'too many announces: slow down',
      info_hash: SWARM,
    });
    assert.equal(client.socket.readyState, WebSocket.OPEN);
    const other = await opened(tracker.url);
    assert.equal((await announce(other, 'b'))['incomplete'], 2, 'other connections are not affected');
    assert.deepEqual(tracker.stats().rejectedByReason, { 'rate-limited': 1 });
  });
});
