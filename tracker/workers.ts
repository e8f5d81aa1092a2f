// `--workers N`: N tracker processes on one port (Node's cluster module hands each new TCP
// connection to one of them), sharing swarms through Redis, so one machine holds N times the
// per-process socket limit. The primary only forks, restarts a worker that died, and stops them.
import cluster, { type Worker } from 'node:cluster';
import { hostname } from 'node:os';
import type { Logger } from './log.ts';

/** What a worker tells the primary once it listens. */
export interface WorkerReady {
  readonly type: 'tracker-listening';
  readonly url: string;
  /** Its cluster node id (null: not in a cluster). */
  readonly node: string | null;
}

/** Exit codes of a tracker process (and of the primary, which passes a worker's start-up failure on). */
export const EXIT_CODE = Object.freeze({ stopped: 0, startFailed: 2, redisUnreachable: 3 });

const isWorkerReady = (message: unknown): message is WorkerReady =>
  typeof message === 'object' &&
  message !== null &&
  (message as { type?: unknown }).type === 'tracker-listening' &&
  typeof (message as { url?: unknown }).url === 'string' &&
  (typeof (message as { node?: unknown }).node === 'string' || (message as { node?: unknown }).node === null);

/**
 * Primary: fork `count` workers; logs `listening` (with the URL) once all of them listen; resolves
 * with the exit code once all have exited: 0 after SIGTERM/SIGINT, or a worker's code when one
 * could not start (restarting it would fail the same way, e.g. Redis unreachable).
 */
export function runWorkers(
  count: number,
  logger: Logger,
  fields: Readonly<Record<string, unknown>>,
  tls = false,
): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    let exitCode: number = EXIT_CODE.stopped;
    let announced = false;
    // Each worker's cluster node id (random, shown in /stats.json) by process id, for operators.
    const ready = new Map<number, { readonly pid: number | undefined; readonly node: string | null }>();
    const fork = (): Worker => {
      const worker = cluster.fork();
      worker.on('message', (message: unknown) => {
        if (!isWorkerReady(message)) return;
        const { pid } = worker.process;
        ready.set(worker.id, { pid, node: message.node });
        if (announced) logger.info('tracker worker listening', { pid, node: message.node });
        else if (ready.size >= count) {
          announced = true;
          const nodes = [...ready.values()];
          logger.info('listening', { url: message.url, workers: count, ...fields, host: hostname(), nodes });
        }
      });
      return worker;
    };
    cluster.on('exit', (worker, code, signal) => {
      const hadListened = ready.delete(worker.id) || announced;
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve(exitCode);
        return;
      }
      // Node's types say string, but a worker that exits by itself has a null signal.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (!hadListened && signal === null && code !== 0) {
        logger.error('tracker worker could not start; stopping', { pid: worker.process.pid, code });
        exitCode = code;
        stop('start-failure');
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve(exitCode);
        return;
      }
      // A crashed worker's peers are reaped by the cluster; a new worker takes new connections.
      logger.warn('tracker worker died; starting another', { pid: worker.process.pid, code, signal });
      fork();
    });
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info('stopping', { signal, workers: Object.keys(cluster.workers ?? {}).length });
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    // With TLS each worker reloads its certificate on a SIGHUP (cli.ts): passed on to them.
    if (tls)
      process.on('SIGHUP', () => {
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
      });
    for (let i = 0; i < count; i++) fork();
  });
}

/** Worker: tell the primary this worker listens (it logs `listening` for all). */
export function reportListening(url: string, node: string | null): void {
  const ready: WorkerReady = { type: 'tracker-listening', url, node };
  process.send?.(ready);
}
