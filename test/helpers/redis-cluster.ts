// A real Redis Cluster for a test: three masters (redis-server --cluster-enabled yes, no replicas),
// each on a free loopback port with a directory of its own, joined by `redis-cli --cluster create`
// (redis-tools, installed with redis-server); ready once every node logged that the cluster is ok.
// Stopped by the test.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_ARGS } from './redis-sentinel.ts';
import { freePort, requireProgram, stopProgram, WatchedProgram } from './system-process.ts';
import { guarded } from './wait-for.ts';

const MASTERS = 3;

export class RedisClusterGroup {
  readonly #dir: string;
  readonly #programs: WatchedProgram[] = [];
  readonly #ports: number[] = [];

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** `host:port` of every node, as `--redis-cluster` takes them. */
  get nodes(): string[] {
    return this.#ports.map((port) => `127.0.0.1:${port}`);
  }

  static async start(): Promise<RedisClusterGroup> {
    requireProgram(
      'redis-server',
      'redis-server is not installed: the cluster tests need it (apt-get install -y redis-server; .ci/run installs it)',
    );
    const group = new RedisClusterGroup(mkdtempSync(join(tmpdir(), 'peercdn-redis-cluster-')));
    try {
      await group.#start();
    } catch (error) {
      await group.stop();
      throw error;
    }
    return group;
  }

  async #start(): Promise<void> {
    for (let i = 0; i < MASTERS; i++) {
      const port = await freePort();
      const dir = join(this.#dir, String(port));
      mkdirSync(dir);
      this.#ports.push(port);
      const node = new WatchedProgram('redis-server', [
        '--port',
        String(port),
        '--dir',
        dir,
        ...SERVER_ARGS,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, 'nodes.conf'),
      ]);
      this.#programs.push(node);
      await node.line('Ready to accept connections', `cluster node ${port} to start`);
    }
    const create = spawn(
      'redis-cli',
      ['--cluster', 'create', ...this.nodes, '--cluster-replicas', '0', '--cluster-yes'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    for (const stream of [create.stdout, create.stderr])
      stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await guarded(once(create, 'exit'), 'redis-cli --cluster create to finish', 60_000)) as [
      number | null,
    ];
    if (code !== 0) throw new Error(`redis-cli --cluster create failed (${code}): ${output.slice(-2000)}`);
    await Promise.all(
      this.#programs.map((node, i) =>
        node.line('Cluster state changed: ok', `cluster node ${this.#ports[i]} to be ok`),
      ),
    );
  }

  /** Stop every node and remove their directories. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all(this.#programs.splice(0).map((program) => stopProgram(program.child)));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
