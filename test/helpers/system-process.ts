// Starting the real system programs tests need (redis-server, prometheus): a free loopback port,
// a clear failure when the program is not installed, start-up awaited on the program's own
// "ready" log line (no polling), and a stop that waits for the exit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A loopback port nothing listens on (free when this resolves). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Throws `why` (which should say how to install it) when `command --version` does not run. */
export function requireProgram(command: string, why: string): void {
  const found = spawnSync(command, ['--version'], { encoding: 'utf8' });
  if (found.error !== undefined || found.status !== 0) throw new Error(why);
}

export interface StartProgramOptions {
  /** The stream the program logs its readiness on. */
  readonly stream: 'stdout' | 'stderr';
  /** Resolves the start once this text appears in that stream. */
  readonly readyLine: string;
}

/**
 * Spawn `command` and resolve once it logged `readyLine`; rejects with the program's output if
 * it exits first. The caller stops it with stopProgram().
 */
export async function startProgram(
  command: string,
  args: readonly string[],
  options: StartProgramOptions,
): Promise<ChildProcess> {
  const child = spawn(command, args, {
    stdio: [
      'ignore',
      options.stream === 'stdout' ? 'pipe' : 'ignore',
      options.stream === 'stderr' ? 'pipe' : 'inherit',
    ],
  });
  const stream = options.stream === 'stdout' ? child.stdout : child.stderr;
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        reject(new Error(`${command} exited (${code ?? signal}) before it was ready: ${output.slice(-2000)}`)),
      );
      stream?.on('data', (chunk: Buffer) => {
        // Only the tail is kept: enough for an error message and to find a line cut between chunks.
        output = (output + chunk.toString()).slice(-8000);
        if (output.includes(options.readyLine)) resolve();
      });
    });
  } catch (error) {
    await stopProgram(child);
    throw error;
  }
  child.removeAllListeners('exit');
  child.removeAllListeners('error');
  // Keep draining the pipe so a chatty program never blocks on a full pipe.
  stream?.removeAllListeners('data');
  stream?.resume();
  return child;
}

/** Stop a program (SIGKILL by default: a crash) and wait for its exit. Idempotent. */
export async function stopProgram(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/** Liveness guard for a log line (start-up, replica sync, failover). */
const LINE_GUARD_MS = 60_000;

/** A program whose stdout lines can be awaited, past or future. */
export class WatchedProgram {
  readonly child: ChildProcess;
  #output = '';
  readonly #waiters: { text: string; resolve: () => void }[] = [];

  constructor(command: string, args: readonly string[]) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      // Enough to find a line cut between chunks; lines already awaited need not be kept.
      this.#output = (this.#output + chunk.toString()).slice(-64_000);
      for (const waiter of [...this.#waiters])
        if (this.#output.includes(waiter.text)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
    });
  }

  /** Resolves once `text` appeared in the program's output (or already had); rejects if it exits first. */
  line(text: string, what: string): Promise<void> {
    if (this.#output.includes(text)) return Promise.resolve();
    let guard: NodeJS.Timeout | undefined;
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ text, resolve });
      this.child.once('exit', (code, signal) =>
        reject(new Error(`${what}: the program exited (${code ?? signal}): ${this.#output.slice(-2000)}`)),
      );
      guard = setTimeout(
        () => reject(new Error(`gave up waiting (${LINE_GUARD_MS} ms): ${what}; output: ${this.#output.slice(-2000)}`)),
        LINE_GUARD_MS,
      );
    }).finally(() => clearTimeout(guard));
  }
}
