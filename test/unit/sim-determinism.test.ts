import assert from 'node:assert/strict';
import { simFigures } from '../../bench/sim/sim-figures.ts';
import { DEFAULT_SIM_OPTIONS, runSimulation, type SimOptions } from '../../bench/sim/sim-run.ts';

// A small run of the real engine on virtual time: 6 viewers, one simulated minute, churn included.
const OPTIONS: SimOptions = { ...DEFAULT_SIM_OPTIONS, viewers: 6, minutes: 1, churnPerMinute: 0.3, joinSeconds: 10 };

// Everything a run counted except how long it took on this machine (and the options it was given).
async function counted(options: SimOptions): Promise<unknown> {
  const { wallMs: _wallMs, cpuMs: _cpuMs, options: _options, ...raw } = await runSimulation(options);
  return raw;
}

describe('swarm simulator', () => {
  it('gives the same numbers for the same seed', async () => {
    const first = await counted(OPTIONS);
    const second = await counted(OPTIONS);
    assert.deepEqual(second, first);
  });

  it('gives the same numbers for the same seed with whole HTTP responses (XHR-shaped), and other numbers than streaming', async () => {
    const whole: SimOptions = { ...OPTIONS, httpLoader: 'xhr' };
    const first = await counted(whole);
    assert.deepEqual(await counted(whole), first);
    assert.notDeepEqual(first, await counted({ ...OPTIONS, httpLoader: 'fetch' }));
  });

  it('gives different numbers for another seed', async () => {
    assert.notDeepEqual(await counted({ ...OPTIONS, seed: 2 }), await counted(OPTIONS));
  });

  it('runs the real engine: viewers take segments from each other and the origin counts fewer copies', async () => {
    const raw = await runSimulation({ ...OPTIONS, churnPerMinute: 0, network: 'loopback', unreachableShare: 0 });
    const figures = simFigures(raw);
    assert.equal(raw.viewers.length, 6);
    assert.ok(
      raw.viewers.some((viewer) => viewer.segmentsFromPeers > 0),
      'no segment came from a peer',
    );
    assert.ok(
      raw.viewers.some((viewer) => viewer.uploadedBytes > 0),
      'nobody uploaded',
    );
    assert.ok(figures.originCopiesPerSegment.mean < 3, `copies ${figures.originCopiesPerSegment.mean}`);
    assert.ok(figures.offload > 0.3, `offload ${figures.offload}`);
    assert.equal(figures.deadlineMisses, 0);
    assert.ok(figures.trackerMessagesPerViewerMinute > 0);
  });

  it('puts the process clock back after a run', async () => {
    /* eslint-disable @typescript-eslint/unbound-method -- the functions are compared, never called */
    const saved = [globalThis.setTimeout, globalThis.clearTimeout, globalThis.setInterval, Date.now, performance.now];
    await runSimulation({ ...OPTIONS, minutes: 0.2 });
    assert.deepEqual(
      [globalThis.setTimeout, globalThis.clearTimeout, globalThis.setInterval, Date.now, performance.now],
      saved,
    );
    /* eslint-enable @typescript-eslint/unbound-method */
  });
});
