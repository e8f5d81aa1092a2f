import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDemo, type DemoProcess } from '../helpers/demo-process.ts';
import { pollExternal } from '../helpers/poll-external.ts';
import { isRunning, processTree, type ProcessEntry } from '../helpers/process-tree.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
// Processes that are not our children have no exit event: /proc is re-read (pollExternal), at most
// 300 × 50 ms as a liveness guard; what still runs after that is reported.
async function waitAllGone(processes: readonly ProcessEntry[]): Promise<ProcessEntry[]> {
  const running = (): ProcessEntry[] => processes.filter(isRunning);
  return pollExternal('the demo processes to end', running, (left) => left.length === 0, {
    intervalMs: 50,
    attempts: 300,
  }).catch(running);
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Start `npm run demo`, stop it with `stop`, and check that every process it started ended and both ports closed. */
async function stopsEverything(stop: (demo: DemoProcess) => void): Promise<void> {
  const demo = await startDemo('npm run demo');
  const pid = demo.child.pid as number;
  const tree = processTree(pid);
  assert.ok(
    tree.some((entry) => entry.command.includes('demo/dev-server.ts')),
    `no dev server below npm:\n${tree.map((e) => `${e.pid} ${e.command}`).join('\n')}`,
  );
  const originPort = Number(demo.pageUrl.port);
  const trackerPort = Number(new URL(demo.pageUrl.searchParams.get('tracker') ?? '').port);
  stop(demo);
  await demo.exited;
  const survivors = await waitAllGone(tree);
  if (survivors.length > 0) for (const entry of survivors) process.kill(entry.pid, 'SIGKILL');
  assert.deepEqual(
    survivors.map((entry) => `${entry.pid} ${entry.command}`),
    [],
    'processes left running',
  );
  assert.equal(await refused(originPort), true, 'the origin port still accepts connections');
  assert.equal(await refused(trackerPort), true, 'the tracker port still accepts connections');
}

describe('npm run demo: stopping it', function () {
  this.timeout(240_000);

  it('SIGTERM to npm stops every process the demo started (by PID, children included) and frees both ports', async () => {
    await stopsEverything((demo) => process.kill(demo.child.pid as number, 'SIGTERM'));
  });

  it("Ctrl-C (SIGINT to the command's process group) stops every process and frees both ports", async () => {
    await stopsEverything((demo) => process.kill(-(demo.child.pid as number), 'SIGINT'));
  });
});

describe('demo dev server: a busy port', function () {
  this.timeout(60_000);
  let busy: Server;
  let busyPort: number;

  before(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  for (const flag of ['--port', '--tracker-port']) {
    it(`says so in one line and exits 1 when ${flag} is taken`, async () => {
      const other = flag === '--port' ? '--tracker-port' : '--port';
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'demo/dev-server.ts', flag, String(busyPort), other, '0'],
        { cwd: REPO },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      assert.equal(code, 1);
      assert.equal(stdout, '');
      const lines = stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
      assert.match(lines[0] ?? '', new RegExp(`port ${busyPort} on 127\\.0\\.0\\.1 is already in use.*${flag} `));
    });
  }
});
