import assert from 'node:assert/strict';
import { seededRandom } from '../../bench/seeded-random.ts';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';
import { TrackerCore } from '../../tracker/core.ts';
import { ExpirySweep } from '../../tracker/expiry-sweep.ts';
import { FakeConnection, wireId } from '../helpers/fake-connection.ts';

const HASH = wireId('swarm-a');
/** Never fires within a test: each sweep here is started with run(). */
const HOUR_MS = 3_600_000;

/** A core holding `count` peers (one connection each) that all expired; the clock is at their expiry. */
function coreWithExpiredPeers(count: number): { core: TrackerCore; clock: { nowMs: number } } {
  const clock = { nowMs: 0 };
  const core = new TrackerCore({ ...DEFAULT_TRACKER_CONFIG, nowMs: () => clock.nowMs, random: seededRandom(5) });
  for (let i = 0; i < count; i++) {
    clock.nowMs = i;
    const frame = { action: 'announce', info_hash: HASH, peer_id: wireId(`peer${i}`), numwant: 0 };
    core.handle(JSON.stringify(frame), new FakeConnection());
  }
  clock.nowMs = count + DEFAULT_TRACKER_CONFIG.peerTimeoutMs;
  return { core, clock };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('tracker expiry sweep in slices', () => {
  it('core.sweep(max) removes at most max expired peers, oldest first, and leaves the rest to the next call', () => {
    const { core } = coreWithExpiredPeers(25);
    assert.equal(core.sweep(10), 10);
    assert.equal(core.stats().peers, 15);
    assert.equal(core.sweep(10), 10);
    assert.equal(core.sweep(10), 5);
    assert.equal(core.sweep(10), 0);
    assert.deepEqual([core.stats().peers, core.stats().expiredPeers], [0, 25]);
  });

  it('removes a budget of peers per event-loop turn and goes on in the next turns, reporting the whole sweep once', async () => {
    const { core } = coreWithExpiredPeers(25);
    const reports: number[] = [];
    let reported: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (reported = resolve));
    const sweep = new ExpirySweep(
      (max) => core.sweep(max),
      HOUR_MS,
      (expired) => {
        reports.push(expired);
        reported();
      },
      10,
    );
    try {
      sweep.run();
      assert.equal(core.stats().peers, 15, 'one budget in the first turn');
      sweep.run();
      assert.equal(core.stats().peers, 15, 'a sweep under way is not started again');
      await done;
      assert.deepEqual([core.stats().peers, reports], [0, [25]]);
    } finally {
      sweep.close();
    }
  });

  it('does nothing more once closed, even in the middle of a sweep', async () => {
    const { core } = coreWithExpiredPeers(25);
    const reports: number[] = [];
    const sweep = new ExpirySweep(
      (max) => core.sweep(max),
      HOUR_MS,
      (expired) => reports.push(expired),
      10,
    );
    sweep.run();
    sweep.close();
    sweep.close();
    await nextTurn();
    await nextTurn();
    sweep.run();
    assert.deepEqual([core.stats().peers, reports], [15, []]);
  });
});
