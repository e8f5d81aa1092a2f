// A real redis-server on a free loopback port, started and stopped by a test. No persistence:
// a restart is an empty Redis, as after a crash of a cache-only deployment.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

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
    const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    if (found.error !== undefined || found.status !== 0) {
      throw new Error(
        'redis-server is not installed: the cluster tests need it (apt-get install -y redis-server; .ci/run installs it)',
      );
    }
    const server = new RedisServer(await freePort());
    await server.restart();
    return server;
  }

  /** Start (again) on the same port, empty; resolves once it accepts connections. */
  async restart(): Promise<void> {
    await this.stop();
    const child = spawn(
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
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.#process = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
    });
    child.removeAllListeners('exit');
  }

  /** Kill the server (SIGKILL: a crash, no goodbye to clients) and wait for it to exit. Idempotent. */
  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = null;
    if (child === null || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

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
