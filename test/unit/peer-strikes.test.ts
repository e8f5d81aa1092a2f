import assert from 'node:assert/strict';
import {
  addStrike,
  BAN_AFTER_STRIKES,
  IGNORE_AFTER_STRIKES,
  IGNORE_BASE_MS,
  isIgnored,
  NO_STRIKES,
  STRIKE_FORGIVE_MS,
  type StrikeState,
} from '../../lib/policy/peer-strikes.ts';

/** Strikes at these times, from a clean record; the state after each. */
function strikesAt(timesMs: readonly number[]): (StrikeState & { ban: boolean })[] {
  let state: StrikeState = NO_STRIKES;
  return timesMs.map((nowMs) => {
    const next = addStrike(state, nowMs);
    state = next;
    return next;
  });
}

describe('peer strikes: what broken promises cost a peer', () => {
  it('uses a schedule where the ignore threshold comes before the ban and forgiveness outlasts every back-off', () => {
    assert.ok(IGNORE_AFTER_STRIKES >= 2 && IGNORE_AFTER_STRIKES < BAN_AFTER_STRIKES);
    const longestBackOffMs = IGNORE_BASE_MS * 2 ** (BAN_AFTER_STRIKES - 1 - IGNORE_AFTER_STRIKES);
    assert.ok(STRIKE_FORGIVE_MS > longestBackOffMs);
  });

  const cases: { name: string; timesMs: number[]; strikes: number; ignoredUntilMs: number; ban: boolean }[] = [
    { name: 'one timeout costs nothing yet', timesMs: [1000], strikes: 1, ignoredUntilMs: 0, ban: false },
    { name: 'two quick strikes: still chosen', timesMs: [1000, 2000], strikes: 2, ignoredUntilMs: 0, ban: false },
    {
      name: 'the third strike ignores the peer for 10 s',
      timesMs: [1000, 2000, 3000],
      strikes: 3,
      ignoredUntilMs: 13_000,
      ban: false,
    },
    {
      name: 'a strike right after the back-off doubles it',
      timesMs: [1000, 2000, 3000, 13_500],
      strikes: 4,
      ignoredUntilMs: 33_500,
      ban: false,
    },
    {
      name: 'broken again after each back-off: banned at the sixth',
      timesMs: [1000, 2000, 3000, 13_500, 34_000, 75_000],
      strikes: 6,
      ignoredUntilMs: 75_000 + 8 * IGNORE_BASE_MS,
      ban: true,
    },
    {
      name: 'one strike is forgiven per minute without one',
      timesMs: [0, 1000, 1000 + STRIKE_FORGIVE_MS],
      strikes: 2,
      ignoredUntilMs: 0,
      ban: false,
    },
    {
      name: 'an honest peer timing out every few minutes never adds up',
      timesMs: [0, 180_000, 360_000, 540_000, 720_000, 900_000, 1_080_000],
      strikes: 1,
      ignoredUntilMs: 0,
      ban: false,
    },
    {
      name: 'forgiveness counts from the end of a back-off, not from the strike',
      timesMs: [0, 1, 2, 10_002 + STRIKE_FORGIVE_MS - 1],
      strikes: 4,
      ignoredUntilMs: 10_002 + STRIKE_FORGIVE_MS - 1 + 2 * IGNORE_BASE_MS,
      ban: false,
    },
  ];
  for (const { name, timesMs, strikes, ignoredUntilMs, ban } of cases) {
    it(name, () => {
      const last = strikesAt(timesMs).at(-1);
      assert.deepEqual(
        { strikes: last?.strikes, ignoredUntilMs: last?.ignoredUntilMs, ban: last?.ban },
        { strikes, ignoredUntilMs, ban },
      );
    });
  }

  it('ignores a peer exactly during its back-off', () => {
    const [, , third] = strikesAt([0, 0, 0]);
    assert.ok(third !== undefined);
    assert.equal(isIgnored(NO_STRIKES, 0), false);
    assert.equal(isIgnored(third, 0), true);
    assert.equal(isIgnored(third, IGNORE_BASE_MS - 1), true);
    assert.equal(isIgnored(third, IGNORE_BASE_MS), false);
  });
});
