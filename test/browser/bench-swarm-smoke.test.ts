import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSwarmBenchmark } from '../../bench/swarm.ts';

describe('swarm benchmark (smoke)', function () {
  this.timeout(180_000);
  let outDir: string;
  before(() => {
    outDir = mkdtempSync(join(tmpdir(), 'peercdn-bench-'));
  });
  after(() => rmSync(outDir, { recursive: true, force: true }));

  it('runs two viewers for a few seconds and writes a result with every figure', async () => {
    const file = await runSwarmBenchmark(
      {
        viewers: 2,
        mode: 'vod',
        staggerSeconds: 1,
        durationSeconds: 4,
        level: 0,
        churnEvents: 0,
        startupPeerWaitMs: 0,
        browsers: 1,
        seed: 1,
        outDir,
      },
      new AbortController().signal,
    );
    // The keys are checked below; these are the ones read as values.
    const result = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & {
      httpOnly: { originSegmentBytes: number };
      peercdn: { originSegmentBytes: number };
      viewers: { peercdn: unknown[] };
    };
    for (const key of [
      'offload',
      'offloadLimit',
      'fractionOfLimit',
      'counterAgreement',
      'httpOnly',
      'peercdn',
      'viewers',
      'options',
      'machine',
    ]) {
      assert.ok(key in result, key);
    }
    for (const run of [result.httpOnly, result.peercdn]) {
      for (const key of [
        'originSegmentBytes',
        'library',
        'originCopiesPerSegment',
        'startupMs',
        'stalls',
        'stallMs',
        'droppedFrames',
        'fatalErrors',
        'peersConnectedAtEnd',
        'browserCpuSeconds',
        'browserRssBytes',
        'cpuStarved',
      ]) {
        assert.ok(key in run, key);
      }
      assert.ok(run.originSegmentBytes > 0, 'the origin counter did not move');
    }
    assert.equal(result['offloadLimit'], 0.5);
    assert.equal(result.viewers.peercdn.length, 2);
    assert.ok(readdirSync(outDir).includes('summary.md'));
    assert.ok(readdirSync(outDir).includes('offload.svg'));
  });
});
