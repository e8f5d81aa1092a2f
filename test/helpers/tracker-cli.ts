// The tracker command run from source, as `npx tsx tracker/cli.ts` does: shared by the tests of
// the command, of cluster mode and of a Redis outage at start-up.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface TrackerCliRun {
  readonly child: ChildProcess;
  /** Its stdout line by line (the JSON log: the first line is `listening` with the URL). */
  readonly lines: AsyncIterator<string>;
}

/**
 * `peercdn-tracker` with `args` as a child process (stdout and stderr piped); the environment is
 * this one without PEERCDN_TRACKER_HOST/PORT, plus `env`. The caller stops it.
 */
export function runTrackerCli(args: readonly string[], env: Record<string, string> = {}): TrackerCliRun {
  const { PEERCDN_TRACKER_HOST: _host, PEERCDN_TRACKER_PORT: _port, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'tracker/cli.ts', ...args], {
    cwd: REPO,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, lines: createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]() };
}
