// `--workers N`: N tracker processes on one port (Node's cluster module hands each new TCP
// connection to one of them), sharing swarms through Redis, so one machine holds N times the
// per-process socket limit. The primary only forks, restarts a worker that died, and stops them.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from './log.ts';

/** What a worker tells the primary once it listens. */
export interface WorkerReady {
  readonly type: 'tracker-listening';
  readonly url: string;
}

const isWorkerReady = (message: unknown): message is WorkerReady =>
  typeof message === 'object' &&
  message !== null &&
  (message as { type?: unknown }).type === 'tracker-listening' &&
  typeof (message as { url?: unknown }).url === 'string';

/** Primary: fork `count` workers; logs `listening` (with the URL) once all of them listen; resolves when all have exited after SIGTERM/SIGINT. */
export function runWorkers(count: number, logger: Logger, fields: Readonly<Record<string, unknown>>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    let announced = false;
    const ready = new Set<number>();
    const fork = (): Worker => {
      const worker = cluster.fork();
      worker.on('message', (message: unknown) => {
        if (!isWorkerReady(message)) return;
        ready.add(worker.id);
        if (!announced && ready.size >= count) {
          announced = true;
          logger.info('listening', { url: message.url, workers: count, ...fields });
        }
      });
      return worker;
    };
    cluster.on('exit', (worker, code, signal) => {
      ready.delete(worker.id);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
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
    for (let i = 0; i < count; i++) fork();
  });
}

/** Worker: tell the primary this worker listens (it logs `listening` for all). */
export function reportListening(url: string): void {
  const ready: WorkerReady = { type: 'tracker-listening', url };
  process.send?.(ready);
}
