// A real redis-server on a free loopback port, started and stopped by a test. No persistence:
// a restart is an empty Redis, as after a crash of a cache-only deployment.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pollExternal } from './poll-external.ts';
import { freePort, requireProgram, startProgram, stopProgram } from './system-process.ts';

export class RedisServer {
  readonly port: number;
  #process: ChildProcess | null = null;

  private constructor(port: number) {
    this.port = port;
  }

  /** The running server's process id (benchmarks read its CPU); null when stopped. */
  get pid(): number | null {
    return this.#process?.pid ?? null;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Start on a free port; fails with a clear message when redis-server is not installed. */
  static async start(): Promise<RedisServer> {
    requireProgram(
      'redis-server',
      'redis-server is not installed: the cluster tests need it (apt-get install -y redis-server; .ci/run installs it)',
    );
    const server = new RedisServer(await freePort());
    await server.restart();
    return server;
  }

  /** Start (again) on the same port, empty; resolves once it accepts connections. */
  async restart(): Promise<void> {
    await this.stop();
    this.#process = await startProgram(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
      ],
      { stream: 'stdout', readyLine: 'Ready to accept connections' },
    );
  }

  /**
   * Freeze the server (SIGSTOP): connections stay open, nothing is answered — a hung Redis.
   * Resolves once the kernel reports it stopped, so nothing sent afterwards is answered before resume().
   */
  async pause(): Promise<void> {
    const pid = this.#process?.pid;
    if (pid === undefined) return;
    this.#process?.kill('SIGSTOP');
    // Polled: a child's stop has no event in Node; /proc/PID/stat's third field is its state (T: stopped).
    await pollExternal(
      `redis-server ${pid} to be stopped`,
      () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0],
      (state) => state === 'T',
      { intervalMs: 10, attempts: 1000 },
    );
  }

  /** Let a paused server run again (SIGCONT); it answers what queued up meanwhile. */
  resume(): void {
    this.#process?.kill('SIGCONT');
  }

  /** Kill the server (SIGKILL: a crash, no goodbye to clients) and wait for it to exit. Idempotent. */
  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = null;
    if (child !== null) await stopProgram(child);
  }
}
