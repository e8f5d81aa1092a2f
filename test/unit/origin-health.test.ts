import assert from 'node:assert/strict';
import {
  afterFailure,
  afterNotFound,
  afterTransfer,
  hedgeDelayMs,
  HEDGE_MIN_MS,
  HEDGE_UNMEASURED_MS,
  NOT_FOUND_LIMIT,
  ORIGIN_BACKOFF_MS,
  ORIGIN_MAX_BACKOFF_MS,
  SLOW_ORIGIN_MIN_MS,
  SLOW_ORIGIN_MIN_SAMPLES,
  originIndexOf,
  pickOrigin,
  rebaseUrl,
  type OriginHealth,
} from '../../lib/policy/origin-health.ts';

const origin = (overrides: Partial<OriginHealth> = {}): OriginHealth => ({
  weight: 1,
  downUntilMs: 0,
  failures: 0,
  bytesPerMs: null,
  samples: 0,
  credit: 0,
  notFound: 0,
  ...overrides,
});

// Runs `count` picks, carrying the credits forward as the engine does; returns the picked indexes.
function picks(origins: OriginHealth[], count: number, nowMs = 0, excluded: number[] = []): number[] {
  let state = origins;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const picked = pickOrigin(state, nowMs, excluded);
    assert.ok(picked !== null);
    out.push(picked.index);
    state = state.map((o, j) => ({ ...o, credit: picked.credits[j]! }));
  }
  return out;
}

describe('origin health policy', () => {
  it('splits requests exactly by weight, interleaved, among origins in rotation', () => {
    const chosen = picks([origin({ weight: 3 }), origin({ weight: 1 })], 40);
    assert.equal(chosen.filter((i) => i === 0).length, 30);
    assert.equal(chosen.filter((i) => i === 1).length, 10);
    // Interleaved: never more than 3 in a row from the heavier origin.
    assert.ok(!chosen.join('').includes('0000'));
    const three = picks([origin({ weight: 2 }), origin({ weight: 1 }), origin({ weight: 1 })], 100);
    assert.deepEqual(
      [0, 1, 2].map((i) => three.filter((x) => x === i).length),
      [50, 25, 25],
    );
  });

  it('skips an origin backing off, and uses it again once its back-off is over', () => {
    const origins = [origin({ downUntilMs: 5000, failures: 1 }), origin()];
    assert.deepEqual(picks(origins, 4, 4999), [1, 1, 1, 1]);
    assert.ok(picks(origins, 4, 5000).includes(0));
  });

  it('uses a weight-0 origin only while every weighted origin is down', () => {
    assert.deepEqual(picks([origin(), origin({ weight: 0 })], 5), [0, 0, 0, 0, 0]);
    assert.deepEqual(picks([origin({ downUntilMs: 100, failures: 1 }), origin({ weight: 0 })], 3, 50), [1, 1, 1]);
  });

  it('probes the origin due back first when all are down, and gives null when every origin was tried', () => {
    const origins = [origin({ downUntilMs: 9000 }), origin({ downUntilMs: 3000 }), origin({ downUntilMs: 6000 })];
    assert.equal(pickOrigin(origins, 0, [])?.index, 1);
    assert.equal(pickOrigin(origins, 0, [1])?.index, 2);
    assert.equal(pickOrigin(origins, 0, [0, 1, 2]), null);
    assert.deepEqual(picks([origin(), origin()], 3, 0, [0]), [1, 1, 1]);
  });

  it('backs off a failing origin for a time that doubles with each failure, up to the cap', () => {
    const table: [failures: number, backoffMs: number][] = [
      [0, ORIGIN_BACKOFF_MS],
      [1, 2 * ORIGIN_BACKOFF_MS],
      [2, 4 * ORIGIN_BACKOFF_MS],
      [10, ORIGIN_MAX_BACKOFF_MS],
    ];
    for (const [failures, backoffMs] of table) {
      const after = afterFailure(origin({ failures }), 1000);
      assert.equal(after.downUntilMs, 1000 + backoffMs, `after ${failures} failures`);
      assert.equal(after.failures, failures + 1);
    }
  });

  it('keeps an origin in rotation after a 404 (a live segment not published yet), and takes it out only when 404s repeat over requests', () => {
    let state = origin({ bytesPerMs: 100, samples: 4 });
    for (let i = 1; i < NOT_FOUND_LIMIT; i++) {
      state = afterNotFound(state, 1000);
      assert.deepEqual([state.notFound, state.failures, state.downUntilMs], [i, 0, 0], `after ${i} 404s`);
      // Still picked: in rotation.
      assert.equal(pickOrigin([state], 1000, [])?.index, 0);
    }
    const out = afterNotFound(state, 1000);
    assert.deepEqual([out.failures, out.downUntilMs, out.notFound], [1, 1000 + ORIGIN_BACKOFF_MS, 0]);
    assert.deepEqual(picks([out, origin()], 3, 1000), [1, 1, 1]);
    // A good transfer between 404s starts the count again: 404s of separate live-edge races never add up.
    const cleared = afterTransfer([afterNotFound(afterNotFound(origin(), 0), 0)], 0, 1000, 10, 0).origin;
    assert.equal(cleared.notFound, 0);
    assert.equal(afterNotFound(cleared, 0).failures, 0);
  });

  it('takes out an origin far slower than the best other one once both averages hold a few transfers', () => {
    const fast = origin({ bytesPerMs: 1000, samples: SLOW_ORIGIN_MIN_SAMPLES });
    const slowOne = origin({ bytesPerMs: 100, samples: SLOW_ORIGIN_MIN_SAMPLES - 1 });
    // 100 B/ms against 1000 on the third transfer: slow (below a quarter), out for the first back-off.
    const slow = afterTransfer([fast, slowOne], 1, 100 * 1000, 1000, 0);
    assert.deepEqual(
      [slow.slow, slow.origin.downUntilMs, slow.origin.failures, slow.origin.samples],
      [true, ORIGIN_BACKOFF_MS, 1, 0],
    );
    // One slow transfer is not enough to judge (a new connection, a hiccup).
    assert.equal(afterTransfer([fast, origin()], 1, 1 * 1000, 1000, 0).slow, false);
    // Nor is a best origin with too few transfers of its own.
    assert.equal(afterTransfer([{ ...fast, samples: 1 }, slowOne], 1, 100 * 1000, 1000, 0).slow, false);
    // A transfer under SLOW_ORIGIN_MIN_MS is fast enough, whatever the ratio.
    assert.equal(afterTransfer([fast, slowOne], 1, 100 * 400, SLOW_ORIGIN_MIN_MS - 100, 0).slow, false);
    // Within a quarter of the best: in rotation.
    assert.equal(afterTransfer([fast, { ...slowOne, bytesPerMs: 400 }], 1, 400 * 1000, 1000, 0).slow, false);
    // After failures the first good transfer starts a new average (not smoothed with the old one).
    const recovered = afterTransfer(
      [fast, origin({ bytesPerMs: 10, samples: 5, failures: 2, downUntilMs: 10 })],
      1,
      900 * 1000,
      1000,
      20,
    );
    assert.deepEqual(
      [recovered.slow, recovered.origin.bytesPerMs, recovered.origin.samples, recovered.origin.failures],
      [false, 900, 1, 0],
    );
    // In rotation, transfers are smoothed.
    assert.equal(
      afterTransfer([fast, origin({ bytesPerMs: 1000, samples: 1 })], 1, 2000 * 1000, 1000, 0).origin.bytesPerMs,
      1300,
    );
  });

  it('hedges only urgent segments, at twice the expected delivery time, within half the time left', () => {
    const table: [
      expectedMs: number | null,
      secondsUntil: number | null,
      startingUp: boolean,
      hedgeMs: number | null,
    ][] = [
      [500, 20, false, null], // far ahead: no hedge
      [500, null, false, null], // playhead unknown: no hedge
      [500, 6, false, 1000],
      [null, 6, false, HEDGE_UNMEASURED_MS],
      [3000, 4, false, 2000], // capped at half the 4 s left
      [50, 6, false, HEDGE_MIN_MS],
      [3000, 0.2, false, HEDGE_MIN_MS],
      [3000, 30, true, 6000], // before playback starts everything is urgent
    ];
    for (const [expectedMs, secondsUntil, startingUp, hedgeMs] of table) {
      assert.equal(hedgeDelayMs(expectedMs, secondsUntil, startingUp), hedgeMs, `${expectedMs} ${secondsUntil}`);
    }
  });

  it('moves a URL to the same path under another origin', () => {
    const bases = ['https://a.example/live/', 'http://127.0.0.1:9000/'];
    const url = 'https://a.example/live/180p/seg_1.ts?t=1';
    assert.equal(originIndexOf(url, bases), 0);
    assert.equal(originIndexOf('https://a.example/other/x.ts', bases), -1);
    assert.equal(rebaseUrl(url, bases, 0, 1), 'http://127.0.0.1:9000/180p/seg_1.ts?t=1');
  });
});
