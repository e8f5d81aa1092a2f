import assert from 'node:assert/strict';
import { sweepUnansweredOffers, UNANSWERED_OFFER_MS } from '../../lib/swarm/bittorrent-tracker-client.ts';

/** An offer as bittorrent-tracker's WebSocket tracker keeps it, with its own 50-s timer. */
function offer(): { trackerTimeout: ReturnType<typeof setTimeout> | null; destroyed: boolean; destroy(): void } {
  const entry = {
    trackerTimeout: setTimeout(() => assert.fail('the 50-s timer should have been cleared'), 50_000) as ReturnType<
      typeof setTimeout
    > | null,
    destroyed: false,
    destroy() {
      entry.destroyed = true;
    },
  };
  return entry;
}

describe('sweepUnansweredOffers', () => {
  it('destroys offers unanswered for the timeout, clears their timers and removes them from the table', () => {
    const old = offer();
    const young = offer();
    const tracker = { peers: { old } as Record<string, unknown> };
    const seen = new WeakMap<object, number>();
    assert.equal(sweepUnansweredOffers([tracker], seen, 0), 0);
    tracker.peers['young'] = young;
    assert.equal(sweepUnansweredOffers([tracker], seen, UNANSWERED_OFFER_MS - 1), 0);
    assert.equal(sweepUnansweredOffers([tracker], seen, UNANSWERED_OFFER_MS), 1);
    assert.deepEqual([old.destroyed, old.trackerTimeout, Object.keys(tracker.peers)], [true, null, ['young']]);
    assert.equal(young.destroyed, false);
    assert.equal(sweepUnansweredOffers([tracker], seen, 2 * UNANSWERED_OFFER_MS), 1);
    assert.deepEqual(Object.keys(tracker.peers), []);
  });

  it('leaves alone what is not shaped like the client it knows', () => {
    const seen = new WeakMap<object, number>();
    const cases: unknown[] = [
      undefined,
      null,
      {},
      [null],
      [{}],
      [{ peers: null }],
      [{ peers: { x: 1 } }],
      [{ peers: { x: {} } }],
    ];
    for (const trackers of cases) {
      assert.equal(sweepUnansweredOffers(trackers, seen, 0), 0);
      assert.equal(sweepUnansweredOffers(trackers, seen, 10 * UNANSWERED_OFFER_MS), 0);
    }
  });
});
