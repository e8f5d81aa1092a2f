import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { runTrackerCli } from '../helpers/tracker-cli.ts';

async function output(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('peercdn-tracker command', function () {
  this.timeout(30_000);
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('prints its URL, serves, and exits 0 on SIGTERM', async () => {
    const { child, lines } = runTrackerCli(['--host', '127.0.0.1', '--port', '0']);
    children.push(child);
    const listening = JSON.parse(String((await lines.next()).value)) as { message: string; url: string };
    assert.equal(listening.message, 'listening');
    assert.match(listening.url, /^ws:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${listening.url.replace('ws://', 'http://')}/health`)).status, 200);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    assert.match(String((await lines.next()).value), /"signal":"SIGTERM"/);
    assert.deepEqual(await exited, [0, null]);
  });

  it('takes host and port from the environment when no flag is given', async () => {
    const { child, lines } = runTrackerCli([], { PEERCDN_TRACKER_HOST: '127.0.0.1', PEERCDN_TRACKER_PORT: '0' });
    children.push(child);
    const listening = JSON.parse(String((await lines.next()).value)) as { url: string };
    assert.match(listening.url, /^ws:\/\/127\.0\.0\.1:\d+$/);
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    assert.deepEqual(await exited, [0, null]);
  });

  it('prints help and exits 0', async () => {
    const { child } = runTrackerCli(['--help']);
    children.push(child);
    const { code, stdout } = await output(child);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: peercdn-tracker/);
    assert.match(stdout, /PEERCDN_TRACKER_PORT/);
  });

  it('exits 2 with a message naming a bad setting', async () => {
    const { child } = runTrackerCli(['--port', '99999']);
    children.push(child);
    const { code, stderr } = await output(child);
    assert.equal(code, 2);
    assert.match(stderr, /"port"/);
  });

  it('exits 2 on an unknown flag', async () => {
    const { child } = runTrackerCli(['--colour', 'blue']);
    children.push(child);
    const { code, stderr } = await output(child);
    assert.equal(code, 2);
    assert.match(stderr, /colour/);
  });

  it('takes access settings from a JSON file and the environment, logging JSON lines with level and time', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'peercdn-tracker-cli-'));
    try {
      const file = join(directory, 'tracker.json');
      writeFileSync(
        file,
        JSON.stringify({ swarmTokenSecret: 'from-a-file-0123456789', allowedOrigins: ['http://ignored.test'] }),
      );
      const { child, lines } = runTrackerCli(['--host', '127.0.0.1', '--port', '0', '--config', file], {
        PEERCDN_TRACKER_ALLOWED_ORIGINS: 'http://video.test',
      });
      children.push(child);
      const listening = JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
      assert.deepEqual(
        [listening['level'], listening['message'], listening['swarmTokens'], listening['allowedOrigins']],
        ['info', 'listening', true, 1],
      );
      assert.match(String(listening['time']), /^\d{4}-\d\d-\d\dT/);
      assert.ok(!JSON.stringify(listening).includes('from-a-file'), 'the secret is never logged');
      const refused = new WebSocket(String(listening['url']), { origin: 'http://ignored.test' });
      refused.on('error', () => undefined);
      const [, response] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }];
      assert.equal(response.statusCode, 403, 'the environment overrides the file');
      refused.terminate();
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('exits 2 naming a config file that is not JSON, echoing none of its text (a secret may be in it)', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'peercdn-tracker-cli-'));
    try {
      const file = join(directory, 'tracker.json');
      // A secret left unquoted, as in a YAML file.
      writeFileSync(file, '{"port": 8000, "swarmTokenSecret": s3cr3t-value-0123456789}');
      const { child } = runTrackerCli(['--config', file]);
      children.push(child);
      const { code, stderr } = await output(child);
      assert.equal(code, 2);
      assert.ok(stderr.includes(file), stderr);
      assert.doesNotMatch(stderr, /s3cr3t/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('exits 2 naming a config file it cannot read (a directory, a missing file), with no stack trace', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'peercdn-tracker-cli-'));
    try {
      for (const path of [directory, join(directory, 'missing.json')]) {
        const { child } = runTrackerCli(['--config', path]);
        children.push(child);
        const { code, stderr } = await output(child);
        assert.equal(code, 2);
        assert.equal(stderr.trim().split('\n').length, 1, stderr);
        assert.ok(stderr.includes(`config file ${path}`), stderr);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('exits 2 naming allowedOrigins when an entry is not an origin', async () => {
    const { child } = runTrackerCli(['--allowed-origins', 'https://ok.test,https://bad.test/path']);
    children.push(child);
    const { code, stderr } = await output(child);
    assert.equal(code, 2);
    assert.match(stderr, /"allowedOrigins" entry 1 \("https:\/\/bad.test\/path"\) must be an origin/);
  });

  it('serves wss:// with --tls-cert and --tls-key, and takes a renewed certificate on SIGHUP without a restart', async () => {
    const fixtures = fileURLToPath(new URL('../../fixtures/tls/', import.meta.url));
    const directory = mkdtempSync(join(tmpdir(), 'peercdn-tracker-tls-'));
    const [cert, key] = [join(directory, 'tracker.crt'), join(directory, 'tracker.key')];
    // The certificate the tracker shows to a new HTTPS connection that trusts only `ca` (an error if another).
    const shown = (port: number, ca: string): Promise<string> =>
      new Promise((resolve, reject) =>
        get({ host: '127.0.0.1', port, path: '/health', ca: readFileSync(ca), agent: false }, (response) => {
          response.resume();
          const { socket } = response;
          resolve(socket instanceof TLSSocket ? (socket.getPeerX509Certificate()?.subject ?? '') : '');
        }).on('error', reject),
      );
    try {
      copyFileSync(join(fixtures, 'tracker-a.crt'), cert);
      copyFileSync(join(fixtures, 'tracker-a.key'), key);
      const { child, lines } = runTrackerCli([
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--tls-cert',
        cert,
        '--tls-key',
        key,
      ]);
      children.push(child);
      const listening = JSON.parse(String((await lines.next()).value)) as { message: string; url: string };
      assert.match(listening.url, /^wss:\/\/127\.0\.0\.1:\d+$/);
      const port = Number(new URL(listening.url).port);
      assert.equal(await shown(port, join(fixtures, 'tracker-a.crt')), 'CN=127.0.0.1 test a');
      copyFileSync(join(fixtures, 'tracker-b.crt'), cert);
      copyFileSync(join(fixtures, 'tracker-b.key'), key);
      child.kill('SIGHUP');
      assert.match(String((await lines.next()).value), /"message":"tls certificate reloaded"/);
      assert.equal(await shown(port, join(fixtures, 'tracker-b.crt')), 'CN=127.0.0.1 test b');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
