import assert from 'node:assert/strict';
import type { SwarmCounts } from '../../tracker/protocol.ts';
import { ClusterCounts } from '../../tracker/cluster/cluster-counts.ts';
import { SCRAPE_SIZE_TTL_MS, ScrapeCounts } from '../../tracker/cluster/scrape-counts.ts';

const NONE: SwarmCounts = { complete: 0, incomplete: 0, downloaded: 0 };

/** Fill `hashes` (no peer here) and resolve with the files once `done` is called. */
function scrape(scrapes: ScrapeCounts, known: ClusterCounts | null, hashes: string[], nowUnixMs: number) {
  const files = new Map(hashes.map((hash) => [hash, NONE]));
  return new Promise<Map<string, SwarmCounts>>((resolve) => {
    scrapes.fill(files, known, nowUnixMs, () => resolve(files));
  });
}

describe('cluster scrape counts: swarms with no peer on this node', () => {
  it('reads each unknown swarm once per TTL, shares a read between scrapes, and keeps local counts when shed, failed or down', async () => {
    const reads: string[] = [];
    let shed = false;
    let fail = false;
    const errors: unknown[] = [];
    const scrapes = new ScrapeCounts(
      (_source, keys) => {
        if (shed) return null;
        reads.push(keys[0] ?? '');
        return fail ? Promise.reject(new Error('down')) : Promise.resolve([5, 7]);
      },
      (error) => errors.push(error),
    );
    const known = new ClusterCounts();
    known.record('known-swarm', null, 9, 1, 0);
    const [first, second] = await Promise.all([
      scrape(scrapes, known, ['far-swarm', 'known-swarm'], 0),
      scrape(scrapes, known, ['far-swarm'], 10),
    ]);
    // Seeders beyond the unexpired peers (the set is pruned later) are capped.
    assert.deepEqual(first.get('far-swarm'), { complete: 5, incomplete: 0, downloaded: 0 });
    assert.deepEqual(first.get('known-swarm'), NONE, 'counts known here are the caller’s');
    assert.deepEqual(second.get('far-swarm'), first.get('far-swarm'));
    assert.equal(reads.length, 1);
    fail = true;
    const failed = await scrape(scrapes, known, ['far-swarm'], SCRAPE_SIZE_TTL_MS);
    assert.deepEqual([failed.get('far-swarm'), reads.length, errors.length], [NONE, 2, 1]);
    shed = true;
    const unsent = await scrape(scrapes, known, ['other-swarm'], SCRAPE_SIZE_TTL_MS);
    assert.deepEqual([unsent.get('other-swarm'), reads.length], [NONE, 2]);
    const down = await scrape(scrapes, null, ['another-swarm'], SCRAPE_SIZE_TTL_MS);
    assert.deepEqual([down.get('another-swarm'), reads.length], [NONE, 2]);
  });

  it('reads at most its reads per second; swarms beyond them answer the local counts', async () => {
    let reads = 0;
    const scrapes = new ScrapeCounts(
      () => {
        reads += 1;
        return Promise.resolve([3, 1]);
      },
      () => undefined,
      2,
    );
    const three = await scrape(scrapes, new ClusterCounts(), ['swarm-1', 'swarm-2', 'swarm-3'], 0);
    assert.deepEqual(
      [...three.values()].map((counts) => counts.incomplete),
      [2, 2, 0],
    );
    assert.equal(reads, 2);
    assert.equal(scrapes.capped, 1, 'the swarm left unread is counted');
    // Kept sizes cost no read; the next second reads again.
    assert.equal((await scrape(scrapes, new ClusterCounts(), ['swarm-1', 'swarm-3'], 999)).get('swarm-3'), NONE);
    const later = await scrape(scrapes, new ClusterCounts(), ['swarm-3'], 1000);
    assert.deepEqual([later.get('swarm-3'), reads], [{ complete: 1, incomplete: 2, downloaded: 0 }, 3]);
  });
});
