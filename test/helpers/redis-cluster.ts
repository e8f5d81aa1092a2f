// A real Redis Cluster for a test: three masters (redis-server --cluster-enabled yes), each on a
// free loopback port with a directory of its own, joined by `redis-cli --cluster create`
// (redis-tools, installed with redis-server); ready once every node logged that the cluster is ok.
// For a failover, one replica can be added to the master of a key's slot, and that master killed:
// the replica is promoted once the other masters agree it failed (`nodeTimeoutMs`). Stopped by the test.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_ARGS } from './redis-sentinel.ts';
import { freePort, requireProgram, stopProgram, WatchedProgram } from './system-process.ts';
import { guarded } from './wait-for.ts';

const MASTERS = 3;
/** Liveness guard for one redis-cli call. */
const CLI_GUARD_MS = 60_000;

export interface RedisClusterGroupOptions {
  /** `cluster-node-timeout`: how long a silent master takes to be called failed (Redis' default: 15 s). */
  readonly nodeTimeoutMs?: number;
}

/** Runs redis-cli; resolves with its stdout, rejects with its output when it fails. */
async function redisCli(args: readonly string[]): Promise<string> {
  const cli = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await guarded(once(cli, 'exit'), `redis-cli ${args.join(' ')}`, CLI_GUARD_MS)) as [number | null];
  if (code !== 0) throw new Error(`redis-cli ${args.join(' ')} failed (${code}): ${(stdout + stderr).slice(-2000)}`);
  return stdout;
}

export class RedisClusterGroup {
  readonly #dir: string;
  readonly #nodeTimeoutMs: number | undefined;
  readonly #programs = new Map<number, WatchedProgram>();
  readonly #ports: number[] = [];

  private constructor(dir: string, options: RedisClusterGroupOptions) {
    this.#dir = dir;
    this.#nodeTimeoutMs = options.nodeTimeoutMs;
  }

  /** `host:port` of every master it started with, as `--redis-cluster` takes them. */
  get nodes(): string[] {
    return this.#ports.map((port) => `127.0.0.1:${port}`);
  }

  static async start(options: RedisClusterGroupOptions = {}): Promise<RedisClusterGroup> {
    requireProgram(
      'redis-server',
      'redis-server is not installed: the cluster tests need it (apt-get install -y redis-server; .ci/run installs it)',
    );
    const group = new RedisClusterGroup(mkdtempSync(join(tmpdir(), 'peercdn-redis-cluster-')), options);
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
      const port = await this.#server();
      this.#ports.push(port);
    }
    await redisCli(['--cluster', 'create', ...this.nodes, '--cluster-replicas', '0', '--cluster-yes']);
    await Promise.all(
      this.#ports.map((port) => this.#program(port).line('Cluster state changed: ok', `cluster node ${port} to be ok`)),
    );
  }

  /** A cluster-enabled redis-server on a free port, once it accepts connections. */
  async #server(): Promise<number> {
    const port = await freePort();
    const dir = join(this.#dir, String(port));
    mkdirSync(dir);
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
      ...(this.#nodeTimeoutMs === undefined ? [] : ['--cluster-node-timeout', String(this.#nodeTimeoutMs)]),
    ]);
    this.#programs.set(port, node);
    await node.line('Ready to accept connections', `cluster node ${port} to start`);
    return port;
  }

  #program(port: number): WatchedProgram {
    const program = this.#programs.get(port);
    if (program === undefined) throw new Error(`no cluster node on port ${port}`);
    return program;
  }

  /** The port and node id of the master serving `key`'s slot, as the cluster's first node sees it. */
  async masterOf(key: string): Promise<{ port: number; id: string }> {
    const seed = String(this.#ports[0]);
    const slot = Number((await redisCli(['-p', seed, 'CLUSTER', 'KEYSLOT', key])).trim());
    // CLUSTER NODES: id address flags master-id ping pong epoch link-state slot-ranges...
    for (const line of (await redisCli(['-p', seed, 'CLUSTER', 'NODES'])).split('\n')) {
      const [id, address, flags, , , , , , ...ranges] = line.split(' ');
      if (id === undefined || address === undefined || flags === undefined) continue;
      if (!flags.split(',').includes('master') || flags.includes('fail')) continue;
      for (const range of ranges) {
        const [from, to = from] = range.split('-').map(Number);
        if (from !== undefined && to !== undefined && slot >= from && slot <= to)
          return { port: Number(address.split(':')[1]?.split('@')[0]), id };
      }
    }
    throw new Error(`no master serves the slot ${slot} of ${key}`);
  }

  /** Add a replica of the master serving `key`'s slot; resolves once it is in sync. Returns its port. */
  async addReplica(key: string): Promise<number> {
    const master = await this.masterOf(key);
    const port = await this.#server();
    await redisCli([
      '--cluster',
      'add-node',
      `127.0.0.1:${port}`,
      `127.0.0.1:${master.port}`,
      '--cluster-slave',
      '--cluster-master-id',
      master.id,
    ]);
    await this.#program(port).line(
      'MASTER <-> REPLICA sync: Finished with success',
      `the replica ${port} of ${master.port} to sync`,
    );
    return port;
  }

  /** Kill (SIGKILL: a crash) the master serving `key`'s slot; resolves once it exited. Returns its port. */
  async killMasterOf(key: string): Promise<number> {
    const { port } = await this.masterOf(key);
    await stopProgram(this.#program(port).child);
    return port;
  }

  /** Resolves once the replica on `port` won the election and serves its master's slots. */
  promoted(port: number): Promise<void> {
    return this.#program(port).line('Failover election won', `the replica ${port} to be promoted`);
  }

  /** Stop every node and remove their directories. Idempotent. */
  async stop(): Promise<void> {
    const programs = [...this.#programs.values()];
    this.#programs.clear();
    await Promise.all(programs.map((program) => stopProgram(program.child)));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
