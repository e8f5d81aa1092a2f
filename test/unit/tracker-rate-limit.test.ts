import assert from 'node:assert/strict';
import { ConnectionRateLimiter } from '../../tracker/rate-limit.ts';
import { FakeConnection } from '../helpers/fake-connection.ts';

describe('per-connection rate limiter', () => {
  it('allows a burst, then refills at the rate by the injected clock, never above the burst', () => {
    const clock = { nowMs: 0 };
    const limiter = new ConnectionRateLimiter({ ratePerSecond: 2, burst: 3, nowMs: () => clock.nowMs });
    const a = new FakeConnection();
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take(a)),
      [true, true, true, false],
    );
    clock.nowMs += 499;
    assert.equal(limiter.take(a), false, 'not yet one token back');
    clock.nowMs += 1;
    assert.deepEqual([limiter.take(a), limiter.take(a)], [true, false]);
    clock.nowMs += 60_000;
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take(a)),
      [true, true, true, false],
      'idle time refills only up to the burst',
    );
  });

  it('keeps one bucket per connection', () => {
    const limiter = new ConnectionRateLimiter({ ratePerSecond: 1, burst: 1, nowMs: () => 0 });
    const a = new FakeConnection();
    const b = new FakeConnection();
    assert.deepEqual([limiter.take(a), limiter.take(a), limiter.take(b)], [true, false, true]);
  });

  it('does not drain or refill when the clock steps back', () => {
    const clock = { nowMs: 10_000 };
    const limiter = new ConnectionRateLimiter({ ratePerSecond: 1, burst: 2, nowMs: () => clock.nowMs });
    const a = new FakeConnection();
    assert.equal(limiter.take(a), true);
    clock.nowMs = 0;
    assert.deepEqual([limiter.take(a), limiter.take(a)], [true, false]);
  });
});
