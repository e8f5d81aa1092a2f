// The processes of the tracker load benchmark: the tracker under test (bench/tracker-process.ts)
// and the load-generator workers (bench/tracker-load-worker.ts), each stopped on exit and Ctrl-C.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { processTreeUsage } from './process-usage.ts';
import type { WorkerCommand, WorkerReply } from './tracker-load-worker.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** `peercdn-tls`: peercdn-tracker serving wss:// with the test certificate (fixtures/tls). */
export type TrackerKind = 'peercdn' | 'peercdn-tls' | 'reference';

export interface Memory {
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  /** WebSockets the tracker still holds. */
  readonly openSockets: number;
}

/** Child processes this run started; all are stopped on exit, error and Ctrl-C. */
const children = new Set<ChildProcess>();
export function stopChildren(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}

export class TrackerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  private constructor(child: ChildProcess, url: string) {
    this.child = child;
    this.url = url;
  }

  static async start(
    kind: TrackerKind,
    cpuProfileDir: string | null,
    nodeFlags: readonly string[],
    /** peercdn only: cluster mode through this Redis. */
    redisUrl = '',
  ): Promise<TrackerProcess> {
    const profile = cpuProfileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`];
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        ...profile,
        ...nodeFlags,
        '--import',
        'tsx',
        `${REPO}bench/tracker-process.ts`,
        kind,
        ...(redisUrl === '' ? [] : [redisUrl]),
      ],
      { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], cwd: REPO },
    );
    children.add(child);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`${kind} tracker exited with ${code}`)));
      lines.on('line', (line) => {
        try {
          const message = JSON.parse(line) as { url?: string };
          if (message.url !== undefined) resolve(message.url);
        } catch {
          // a log line (or --trace-gc output): pass it on
          process.stderr.write(`${kind} tracker: ${line}\n`);
        }
      });
    });
    return new TrackerProcess(child, url);
  }

  cpu(): { total: number; system: number } {
    const usage = processTreeUsage(this.child.pid ?? -1);
    return { total: usage.cpuSeconds, system: usage.systemCpuSeconds };
  }

  /** Read-like and write-like system calls the tracker process has made (/proc/PID/io: syscr, syscw). */
  systemCalls(): { reads: number; writes: number } {
    try {
      const io = readFileSync(`/proc/${this.child.pid ?? -1}/io`, 'utf8');
      const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
      return { reads: field('syscr'), writes: field('syscw') };
    } catch {
      return { reads: NaN, writes: NaN };
    }
  }

  /** Memory once the tracker has closed every socket (polled, bounded). */
  async memoryWhenEmpty(): Promise<Memory> {
    const started = performance.now();
    for (;;) {
      const memory = await this.memory();
      if (memory.openSockets === 0 || performance.now() - started > 60_000) return memory;
      await sleep(1000);
    }
  }

  /** The tracker's event-loop delay since the last call. */
  loopDelay(): Promise<{ p99: number; max: number }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('tracker did not report its loop delay')), 30_000);
      const onMessage = (message: { loopDelayMs?: { p99: number; max: number } }): void => {
        if (message.loopDelayMs === undefined) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(message.loopDelayMs);
      };
      this.child.on('message', onMessage);
      this.child.send('loop-delay');
    });
  }

  /** Heap and RSS after two full GCs inside the tracker process. */
  memory(): Promise<Memory> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('tracker did not report memory')), 30_000);
      this.child.once('message', (message: { memory: Memory }) => {
        clearTimeout(timer);
        resolve(message.memory);
      });
      this.child.send('memory');
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the child may have exited meanwhile
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    children.delete(this.child);
  }
}

export class Worker {
  readonly child: ChildProcess;
  #pending: ((reply: WorkerReply) => void) | null = null;
  constructor() {
    this.child = fork(`${REPO}bench/tracker-load-worker.ts`, [], {
      execArgv: ['--import', 'tsx'],
      cwd: REPO,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(this.child);
    this.child.on('message', (reply: WorkerReply) => this.#pending?.(reply));
  }

  run(command: WorkerCommand, timeoutMs: number): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load worker did not finish ${command.type}`)), timeoutMs);
      this.#pending = (reply) => {
        clearTimeout(timer);
        this.#pending = null;
        resolve(reply);
      };
      this.child.send(command);
    });
  }

  stop(): void {
    this.child.disconnect();
    children.delete(this.child);
  }
}
