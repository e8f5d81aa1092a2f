import assert from 'node:assert/strict';
import { sortEvents, VirtualClock, type Timed } from '../../bench/sim/virtual-clock.ts';
import { seededRandom } from '../../bench/seeded-random.ts';

// What one microtask drain looks like to the clock (the order of events is what is checked).
const drain = (): Promise<void> => Promise.resolve();

describe('virtual clock', () => {
  it('runs events in time order, equal times in the order they were added, also ones added while it runs', async () => {
    const clock = new VirtualClock();
    const random = seededRandom(7);
    const ran: [atMs: number, id: number][] = [];
    const added: [atMs: number, id: number][] = [];
    let nextId = 0;
    const add = (delayMs: number): void => {
      const id = nextId++;
      added.push([clock.nowMs + delayMs, id]);
      clock.after(delayMs, () => {
        ran.push([clock.nowMs, id]);
        // Some events add more: within the same millisecond, at the same time, later, and far ahead.
        if (id % 3 === 0 && nextId < 3000) add(random() < 0.3 ? 0 : random() < 0.5 ? random() * 0.9 : random() * 500);
        if (id % 97 === 0 && nextId < 3000) add(200_000 + random() * 10_000);
      });
    };
    for (let i = 0; i < 1000; i++) add(random() < 0.2 ? Math.floor(random() * 50) : random() * 300_000);
    await clock.run(1_000_000, drain);
    // The reference: every event by its time, then by when it was added.
    const expected = [...added].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    assert.equal(ran.length, added.length);
    assert.deepEqual(ran, expected);
  });

  it('stops at the given time, and a later run goes on from there with events added in between', async () => {
    const clock = new VirtualClock();
    const ran: string[] = [];
    clock.after(10.5, () => ran.push('a'));
    clock.after(10.8, () => ran.push('b'));
    clock.after(300_000, () => ran.push('far'));
    await clock.run(10.6, drain);
    assert.deepEqual(ran, ['a']);
    assert.equal(clock.nowMs, 10.6);
    clock.after(0, () => ran.push('now'));
    clock.after(0.1, () => ran.push('c'));
    const cancelled = clock.setTimeout(() => ran.push('cancelled'), 5);
    clock.clearTimer(cancelled);
    await clock.run(1000, drain);
    assert.deepEqual(ran, ['a', 'now', 'c', 'b']);
    await clock.run(400_000, drain);
    assert.deepEqual(ran, ['a', 'now', 'c', 'b', 'far']);
  });

  it('repeats an interval until it is cleared', async () => {
    const clock = new VirtualClock();
    const ticks: number[] = [];
    const timer = clock.setInterval(() => {
      ticks.push(clock.nowMs);
      if (ticks.length === 3) clock.clearTimer(timer);
    }, 1000);
    await clock.run(10_000, drain);
    assert.deepEqual(ticks, [1000, 2000, 3000]);
  });

  it('sorts the events of a millisecond as a reference sort does, at every size, with equal times and reused scratch', () => {
    const random = seededRandom(11);
    const scratch: Timed[] = [];
    for (let length = 0; length <= 300; length += length < 40 ? 1 : 37) {
      // Sequence numbers mostly ascending (as events are added), some out of place (moved in from far ahead).
      const items: Timed[] = Array.from({ length }, (_, i) => ({
        atMs: random() < 0.2 ? 0.5 : random(),
        sequence: random() < 0.1 ? Math.floor(random() * 10_000) + 10_000 : i,
      }));
      const expected = [...items].sort((a, b) => a.atMs - b.atMs || a.sequence - b.sequence);
      sortEvents(items, scratch);
      assert.deepEqual(items, expected, `length ${length}`);
    }
  });
});
