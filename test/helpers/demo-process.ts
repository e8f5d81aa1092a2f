// The demo as a user runs it (`npm run demo`) or its server alone, as a child process on port 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
// Liveness guard (not a speed assertion): `npm run demo` builds the bundles first.
const START_GUARD_MS = 180_000;

export interface DemoProcess {
  readonly child: ChildProcess;
  /** The demo page's URL as the demo printed it (tracker included). */
  readonly pageUrl: URL;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when the child exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export type DemoCommand = 'npm run demo' | 'dev-server';

/**
 * Start the demo on free ports and wait for it to print its page URL. In a process group of its
 * own (`detached`), so a test can send a terminal's Ctrl-C to the whole group.
 */
export function startDemo(command: DemoCommand, extraArgs: readonly string[] = []): Promise<DemoProcess> {
  const args = ['--port', '0', '--tracker-port', '0', ...extraArgs];
  const child =
    command === 'npm run demo'
      ? spawn('npm', ['run', 'demo', '--', ...args], { cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, ['--import', 'tsx', 'demo/dev-server.ts', ...args], {
          cwd: REPO,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let text = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let settled = false;
    const guard = setTimeout(() => fail(`no page URL within ${START_GUARD_MS} ms`), START_GUARD_MS);
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`demo: ${why}\n${text}`));
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const match = /page:\s+(\S+)/.exec(text);
      if (match?.[1] === undefined || settled) return;
      settled = true;
      clearTimeout(guard);
      child.stdout.off('data', onData);
      child.stdout.on('data', (more: Buffer) => (text += more.toString()));
      resolve({ child, pageUrl: new URL(match[1]), output: () => text, exited });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    void exited.then(({ code, signal }) =>
      fail(`exited (code ${code}, signal ${signal}) before printing its page URL`),
    );
  });
}
