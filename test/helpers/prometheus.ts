// A real Prometheus (Debian's `prometheus` package) for tests: its own config and storage in a
// temp dir, a free loopback port, a short scrape interval; close() stops it and removes the dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProgram, stopProgram } from './system-process.ts';

export interface RunningPrometheus {
  readonly url: string;
  /** An instant PromQL query; the first sample's value, or null for an empty result. Throws on a query error. */
  query: (promql: string) => Promise<number | null>;
  close(): Promise<void>;
}

/** Start Prometheus scraping `targets` (host:port) every second. */
export async function startPrometheus(targets: readonly string[]): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'peercdn-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: peercdn-tracker\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]\n`,
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startProgram(
    process.env['PROMETHEUS_PATH'] ?? 'prometheus',
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stream: 'stderr', readyLine: 'Server is ready to receive web requests.' },
  ).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const close = async (): Promise<void> => {
    await stopProgram(child, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    url,
    close,
    query: async (promql) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result: { value: [number, string] }[] };
      };
      if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${body.error ?? response.status}`);
      const first = body.data?.result[0];
      return first === undefined ? null : Number(first.value[1]);
    },
  };
}
