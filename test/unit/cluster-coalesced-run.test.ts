import assert from 'node:assert/strict';
import { CoalescedRun } from '../../tracker/cluster/coalesced-run.ts';

/** The promise callbacks queued so far have run. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a coalesced run (re-adding a node to Redis)', () => {
  it('runs one at a time; asked for while running, it runs once more after, however often it was asked', async () => {
    const finishes: (() => void)[] = [];
    const run = new CoalescedRun(() => new Promise<void>((resolve) => finishes.push(resolve)));
    run.request();
    run.request();
    run.request();
    assert.equal(finishes.length, 1);
    finishes[0]?.();
    await settled();
    assert.equal(finishes.length, 2, 'once more');
    finishes[1]?.();
    await settled();
    assert.equal(finishes.length, 2, 'and no more');
    run.request();
    assert.equal(finishes.length, 3, 'idle: runs at once');
    finishes[2]?.();
  });
});
