// Counts of swarms this node learns nothing of from its announces (no peer of them here), for
// scrapes: read from Redis, one script per swarm (a swarm's keys share one Redis Cluster slot),
// kept briefly and shared by the scrapes that ask meanwhile, so scraping one swarm again and again
// costs one Redis call per TTL. Bounded: the oldest kept swarm goes first.
import type { SwarmCounts } from '../protocol.ts';
import type { ClusterCounts } from './cluster-counts.ts';
import { COUNT_SCRIPT, swarmKey, swarmKeys } from './redis-scripts.ts';

/** How long a swarm's read size serves scrapes: as old as the counts of announce replies can be. */
export const SCRAPE_SIZE_TTL_MS = 1000;
/** Swarms whose read size is kept at once. */
export const MAX_SCRAPE_SIZES = 10_000;
/**
 * Redis reads for scrapes per second and node, at most; beyond, a scrape answers the local counts
 * (as before scrapes read Redis). One scrape may name 100 swarms, made up ones too: without a bound
 * a few sockets within their announce rate would send Redis 100 times their announces' load, and
 * fill the pending-command bound that announces share.
 */
export const MAX_SCRAPE_READS_PER_SECOND = 1000;

export interface SwarmSize {
  readonly peers: number;
  readonly seeders: number;
}

/** Run a Lua script with these keys and arguments; null when not sent (too many commands wait). */
export type RunScript = (source: string, keys: readonly string[], args: readonly string[]) => Promise<unknown> | null;

export class ScrapeCounts {
  readonly #run: RunScript;
  readonly #onError: (error: unknown) => void;
  readonly #kept = new Map<string, { readonly expiresAtMs: number; readonly size: Promise<SwarmSize | null> }>();
  readonly #readsPerSecond: number;
  #secondStartMs = -Infinity;
  #readsThisSecond = 0;
  #capped = 0;

  constructor(run: RunScript, onError: (error: unknown) => void, readsPerSecond = MAX_SCRAPE_READS_PER_SECOND) {
    this.#run = run;
    this.#onError = onError;
    this.#readsPerSecond = readsPerSecond;
  }

  /**
   * Put the counts over every node into `files` for each swarm `known` has none of (never fewer
   * peers than `files` holds; `known` null: Redis is down, read none), then call `done` (at once
   * when there is nothing to read). `nowUnixMs`: the store's peer expiries are wall-clock times.
   */
  fill(
    files: Map<string, SwarmCounts>,
    known: Pick<ClusterCounts, 'knows'> | null,
    nowUnixMs: number,
    done: () => void,
  ): void {
    const reads: Promise<void>[] = [];
    for (const [infoHash, local] of files) {
      if (known === null || known.knows(infoHash)) continue;
      const size = this.#size(infoHash, nowUnixMs);
      if (size === null) continue;
      reads.push(
        size.then((read) => {
          if (read === null || read.peers < local.complete + local.incomplete) return;
          const complete = Math.min(read.seeders, read.peers);
          files.set(infoHash, { complete, incomplete: read.peers - complete, downloaded: local.downloaded });
        }),
      );
    }
    if (reads.length === 0) done();
    else void Promise.all(reads).then(done);
  }

  /** Swarms whose counts were not read because the reads per second were spent (their scrape answered local counts). */
  get capped(): number {
    return this.#capped;
  }

  clear(): void {
    this.#kept.clear();
  }

  #size(infoHash: string, nowUnixMs: number): Promise<SwarmSize | null> | null {
    const kept = this.#kept.get(infoHash);
    if (kept !== undefined && kept.expiresAtMs > nowUnixMs) return kept.size;
    if (nowUnixMs - this.#secondStartMs >= 1000) {
      this.#secondStartMs = nowUnixMs;
      this.#readsThisSecond = 0;
    }
    if (this.#readsThisSecond >= this.#readsPerSecond) {
      this.#capped += 1;
      return null;
    }
    this.#readsThisSecond += 1;
    const sent = this.#run(COUNT_SCRIPT, swarmKeys(swarmKey(infoHash)), [String(nowUnixMs)]);
    if (sent === null) return null;
    const size = sent.then(swarmSizeOf, (error: unknown) => {
      this.#onError(error);
      return null;
    });
    // Re-insert so the Map's order stays oldest-first.
    this.#kept.delete(infoHash);
    this.#kept.set(infoHash, { expiresAtMs: nowUnixMs + SCRAPE_SIZE_TTL_MS, size });
    if (this.#kept.size > MAX_SCRAPE_SIZES) this.#kept.delete(this.#kept.keys().next().value as string);
    return size;
  }
}

/** The count script's reply ([peers, seeders]) as a size; null when it is not one. */
function swarmSizeOf(reply: unknown): SwarmSize | null {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') return null;
  return { peers: reply[0], seeders: reply[1] };
}
