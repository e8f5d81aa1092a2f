// A real Sentinel-managed Redis for a test: a master, one replica and one sentinel
// (`redis-server --sentinel`, from the same Debian package as redis-server), each on a free
// loopback port, started and stopped by the test. The sentinel calls the master down after 300 ms
// of silence, so a failover after killMaster() takes a few seconds, not the default 30+.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireProgram, stopProgram, WatchedProgram } from './system-process.ts';

// Replication writes an RDB file even with `--save ''`: each server gets a directory of its own.
export const SERVER_ARGS = [
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--protected-mode',
  'no',
  '--repl-diskless-sync-delay',
  '0',
];

export class RedisSentinelGroup {
  readonly masterName = 'peercdn-test';
  readonly #dir: string;
  readonly #programs: WatchedProgram[] = [];
  #master: WatchedProgram | null = null;
  #sentinel: WatchedProgram | null = null;
  #sentinelPort = 0;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** `host:port` of each sentinel, as `--redis-sentinel` takes them. */
  get sentinels(): string[] {
    return [`127.0.0.1:${this.#sentinelPort}`];
  }

  /** Master, replica in sync, sentinel watching both; fails clearly when redis-server is not installed. */
  static async start(): Promise<RedisSentinelGroup> {
    requireProgram(
      'redis-server',
      'redis-server is not installed: the cluster tests need it (apt-get install -y redis-server; .ci/run installs it)',
    );
    const group = new RedisSentinelGroup(mkdtempSync(join(tmpdir(), 'peercdn-sentinel-')));
    try {
      await group.#start();
    } catch (error) {
      await group.stop();
      throw error;
    }
    return group;
  }

  async #start(): Promise<void> {
    const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
    this.#sentinelPort = sentinelPort;
    const dirOf = (name: string): string => {
      const dir = join(this.#dir, name);
      mkdirSync(dir);
      return dir;
    };
    this.#master = this.#run('redis-server', ['--port', String(masterPort), '--dir', dirOf('master'), ...SERVER_ARGS]);
    await this.#master.line('Ready to accept connections', 'the master to start');
    const replica = this.#run('redis-server', [
      '--port',
      String(replicaPort),
      '--dir',
      dirOf('replica'),
      ...SERVER_ARGS,
      '--replicaof',
      '127.0.0.1',
      String(masterPort),
    ]);
    await replica.line('MASTER <-> REPLICA sync: Finished with success', 'the replica to sync with the master');
    const config = join(this.#dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        'protected-mode no',
        `dir ${this.#dir}`,
        `sentinel monitor ${this.masterName} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${this.masterName} 300`,
        `sentinel failover-timeout ${this.masterName} 5000`,
        '',
      ].join('\n'),
    );
    this.#sentinel = this.#run('redis-server', [config, '--sentinel']);
    // A failover needs the sentinel to know the replica (from the master's INFO).
    await this.#sentinel.line(`+slave slave 127.0.0.1:${replicaPort}`, 'the sentinel to find the replica');
  }

  #run(command: string, args: readonly string[]): WatchedProgram {
    const program = new WatchedProgram(command, args);
    this.#programs.push(program);
    return program;
  }

  /** Kill the master (SIGKILL: a crash); resolves once it exited. */
  async killMaster(): Promise<void> {
    if (this.#master !== null) await stopProgram(this.#master.child);
  }

  /** Freeze the master (SIGSTOP): its connections stay open, nothing is answered — a hung master. stop() kills it. */
  pauseMaster(): void {
    this.#master?.child.kill('SIGSTOP');
  }

  /** Resolves once the sentinel has switched the group to the promoted replica. */
  failedOver(): Promise<void> {
    if (this.#sentinel === null) return Promise.reject(new Error('the sentinel group is not running'));
    return this.#sentinel.line(`+switch-master ${this.masterName}`, 'the sentinel to promote the replica');
  }

  /** Stop every process and remove the sentinel's directory. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all(this.#programs.splice(0).map((program) => stopProgram(program.child)));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
