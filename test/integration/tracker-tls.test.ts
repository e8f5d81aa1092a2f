// The tracker's own TLS: with `tlsCertFile` and `tlsKeyFile` it serves https:// and wss:// on its
// port (pages served over HTTPS may only open wss://), takes a renewed certificate for new
// connections without a restart, and refuses to start on a file it cannot use, naming the setting.
// Certificates: fixtures/tls (self-signed for 127.0.0.1, two pairs); clients trust only the one
// expected, so a connection that succeeds proves which certificate the tracker presented.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { TrackerConfigError } from '../../tracker/config.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { offer, wireId } from '../helpers/fake-connection.ts';
import { jsonInbox } from '../helpers/json-inbox.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/tls/', import.meta.url));
const pem = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const fingerprintOf = (cert: Buffer): string => new X509Certificate(cert).fingerprint256;
const HASH = wireId('tls-swarm');

/** GET `path` over HTTPS trusting only `ca` (a new connection each time): status, body, and the certificate shown. */
function get(port: number, path: string, ca: Buffer): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, agent: false }, (res) => {
      const { socket } = res;
      const fingerprint = socket instanceof TLSSocket ? (socket.getPeerX509Certificate()?.fingerprint256 ?? '') : '';
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the tracker over TLS (https:// and wss:// on its own port)', function () {
  this.timeout(30_000);
  let dir = '';
  let tracker: RunningTracker | null = null;
  const sockets: WebSocket[] = [];
  beforeEach(() => {
    // The files the tracker reads, replaced in place by the reload test.
    dir = mkdtempSync(join(tmpdir(), 'peercdn-tls-'));
    copyFileSync(join(FIXTURES, 'tracker-a.crt'), join(dir, 'tracker.crt'));
    copyFileSync(join(FIXTURES, 'tracker-a.key'), join(dir, 'tracker.key'));
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await tracker?.close();
    tracker = null;
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (): Promise<RunningTracker> => {
    tracker = await startTracker({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'off',
      tlsCertFile: join(dir, 'tracker.crt'),
      tlsKeyFile: join(dir, 'tracker.key'),
    });
    return tracker;
  };
  const open = async (url: string, ca: Buffer) => {
    const socket = new WebSocket(url, { ca, perMessageDeflate: false });
    sockets.push(socket);
    const next = jsonInbox(socket);
    await once(socket, 'open');
    return { socket, next };
  };

  it('serves /health over HTTPS and relays an offer between wss:// clients', async () => {
    const { url, port } = await start();
    assert.equal(url, `wss://127.0.0.1:${port}`);
    const health = await get(port, '/health', pem('tracker-a.crt'));
    assert.deepEqual(health, { status: 200, body: 'ok', fingerprint: fingerprintOf(pem('tracker-a.crt')) });
    const a = await open(url, pem('tracker-a.crt'));
    const b = await open(url, pem('tracker-a.crt'));
    a.socket.send(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('a'), numwant: 5 }));
    assert.equal((await a.next())['incomplete'], 1);
    b.socket.send(
      JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('b'), numwant: 5, offers: [offer(1)] }),
    );
    assert.equal((await b.next())['incomplete'], 2);
    const relayed = await a.next();
    assert.deepEqual([relayed['peer_id'], relayed['offer_id']], [wireId('b'), wireId('offer1')]);
    // A plain ws:// client gets no WebSocket on a TLS port.
    const plain = new WebSocket(`ws://127.0.0.1:${port}`);
    sockets.push(plain);
    const closed = new Promise((resolve) => plain.on('close', resolve));
    const failed = new Promise<Error>((resolve) => plain.on('error', resolve));
    assert.match((await failed).message, /socket hang up/);
    await closed;
    assert.equal(tracker?.stats().sockets, 2);
  });

  it('shows a renewed certificate to new connections after reloadTls(), and keeps it when the new files are bad', async () => {
    const { url, port } = await start();
    const old = await open(url, pem('tracker-a.crt'));
    writeFileSync(join(dir, 'tracker.crt'), pem('tracker-b.crt'));
    writeFileSync(join(dir, 'tracker.key'), pem('tracker-b.key'));
    tracker?.reloadTls();
    assert.equal((await get(port, '/health', pem('tracker-b.crt'))).fingerprint, fingerprintOf(pem('tracker-b.crt')));
    await open(url, pem('tracker-b.crt'));
    // A key that does not match: refused, naming the settings; the renewed pair stays in use.
    writeFileSync(join(dir, 'tracker.key'), pem('tracker-a.key'));
    assert.throws(
      () => tracker?.reloadTls(),
      (error: unknown) => error instanceof TrackerConfigError && /no usable pair/.test(error.message),
    );
    assert.equal((await get(port, '/health', pem('tracker-b.crt'))).status, 200);
    // The connection made before the renewal goes on.
    old.socket.send(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId('old'), numwant: 0 }));
    assert.equal((await old.next())['info_hash'], HASH);
  });

  it('refuses to start with a file it cannot read, a key of another certificate, or one of the two only', async () => {
    const attempts: [Record<string, string>, string, RegExp][] = [
      [
        { tlsCertFile: join(dir, 'tracker.crt'), tlsKeyFile: join(dir, 'missing.key') },
        'tlsKeyFile',
        /cannot read tlsKeyFile .*missing\.key: ENOENT/,
      ],
      [
        { tlsCertFile: join(dir, 'tracker.crt'), tlsKeyFile: join(FIXTURES, 'tracker-b.key') },
        'tlsCertFile',
        /no usable pair/,
      ],
      [{ tlsCertFile: join(dir, 'tracker.crt') }, 'tlsKeyFile', /needed with tlsCertFile/],
      [{ tlsKeyFile: join(dir, 'tracker.key') }, 'tlsCertFile', /needed with tlsKeyFile/],
    ];
    for (const [settings, key, message] of attempts)
      await assert.rejects(
        startTracker({ host: '127.0.0.1', port: 0, logLevel: 'off', ...settings }),
        (error: unknown) => error instanceof TrackerConfigError && error.key === key && message.test(error.message),
        key,
      );
  });
});
