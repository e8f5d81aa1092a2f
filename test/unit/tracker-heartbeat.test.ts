import assert from 'node:assert/strict';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';
import { Heartbeat, type HeartbeatTarget } from '../../tracker/heartbeat.ts';

const PERIOD_MS = DEFAULT_TRACKER_CONFIG.heartbeatMs;
const SLICE_MS = 250;

/** A socket as the heartbeat sees it: records its pings; answers them after `pongDelayMs` (never when null). */
class FakeTarget implements HeartbeatTarget {
  pingSentMs = -1;
  heard = false;
  readonly pingsAtMs: number[] = [];
  dead = false;

  constructor(readonly pongDelayMs: number | null = 0) {}

  ping(): void {
    this.pingsAtMs.push(this.pingSentMs);
  }
}

/** Run the heartbeat on a fake clock for `durationMs`, delivering pongs when they are due. */
function run(
  targets: FakeTarget[],
  durationMs: number,
  options: { churn?: (nowMs: number, heartbeat: Heartbeat<FakeTarget>) => void } = {},
): Heartbeat<FakeTarget> {
  const heartbeat = new Heartbeat<FakeTarget>({
    periodMs: PERIOD_MS,
    sliceMs: SLICE_MS,
    onDead: (target) => {
      target.dead = true;
    },
  });
  for (const target of targets) heartbeat.add(target);
  for (let nowMs = 0; nowMs <= durationMs; nowMs += SLICE_MS) {
    for (const target of targets) {
      if (target.pingSentMs >= 0 && target.pongDelayMs !== null && nowMs >= target.pingSentMs + target.pongDelayMs)
        Heartbeat.pong(target);
    }
    options.churn?.(nowMs, heartbeat);
    heartbeat.tick(nowMs);
  }
  return heartbeat;
}

const gaps = (times: readonly number[]): number[] => times.slice(1).map((t, i) => t - (times[i] as number));

describe('tracker heartbeat', () => {
  for (const sockets of [1, 2, 50, 500]) {
    it(`pings each of ${sockets} sockets once per period, not once per round of slices`, () => {
      const targets = Array.from({ length: sockets }, () => new FakeTarget());
      run(targets, 10 * PERIOD_MS);
      for (const target of targets) {
        assert.ok(
          target.pingsAtMs.length >= 10 && target.pingsAtMs.length <= 11,
          `${target.pingsAtMs.length} pings in 10 periods`,
        );
        for (const gap of gaps(target.pingsAtMs))
          assert.ok(gap >= PERIOD_MS - SLICE_MS && gap <= PERIOD_MS + SLICE_MS, `gap ${gap} ms`);
      }
    });
  }

  it('keeps a socket whose pong comes 1.9 s late (a stalled tab) and drops one that never answers within two periods', () => {
    const stalled = new FakeTarget(1900);
    const silent = new FakeTarget(null);
    const others = Array.from({ length: 3 }, () => new FakeTarget());
    let silentDroppedAtMs = -1;
    const heartbeat = run([stalled, silent, ...others], 5 * PERIOD_MS, {
      churn: (nowMs) => {
        if (silent.dead && silentDroppedAtMs < 0) silentDroppedAtMs = nowMs;
      },
    });
    assert.equal(stalled.dead, false);
    assert.ok(others.every((target) => !target.dead));
    assert.equal(silent.dead, true);
    assert.ok(
      silentDroppedAtMs > 0 && silentDroppedAtMs <= 2 * PERIOD_MS + SLICE_MS,
      `dropped at ${silentDroppedAtMs} ms`,
    );
    assert.equal(heartbeat.size, 4, 'the dead socket is no longer pinged');
  });

  it('spreads a round over the period instead of one burst', () => {
    const targets = Array.from({ length: 1200 }, () => new FakeTarget());
    const heartbeat = new Heartbeat<FakeTarget>({
      periodMs: PERIOD_MS,
      sliceMs: SLICE_MS,
      onDead: () => assert.fail('nobody dies'),
    });
    for (const target of targets) heartbeat.add(target);
    let pinged = 0;
    let mostInOneSlice = 0;
    for (let nowMs = 0; nowMs < PERIOD_MS; nowMs += SLICE_MS) {
      heartbeat.tick(nowMs);
      const now = targets.filter((target) => target.pingsAtMs.length > 0).length;
      mostInOneSlice = Math.max(mostInOneSlice, now - pinged);
      pinged = now;
    }
    assert.equal(pinged, 1200, 'everyone pinged within one period');
    assert.ok(mostInOneSlice <= 12, `${mostInOneSlice} pings in one slice (1200 sockets × 250 ms / 30 s ≈ 10)`);
  });

  it('gives a pong at least half a period when sockets leaving move the others forward in the round', () => {
    const targets = Array.from({ length: 100 }, () => new FakeTarget(PERIOD_MS / 2 - SLICE_MS));
    run(targets, 4 * PERIOD_MS, {
      churn: (nowMs, heartbeat) => {
        // Half of the sockets, those pinged first, leave right after the first round.
        if (nowMs === PERIOD_MS) for (const target of targets.slice(0, 50)) heartbeat.delete(target);
      },
    });
    assert.ok(
      targets.slice(50).every((target) => !target.dead),
      'slow but alive sockets survive',
    );
    for (const target of targets.slice(50))
      for (const gap of gaps(target.pingsAtMs)) assert.ok(gap >= PERIOD_MS / 2, `gap ${gap} ms`);
  });

  it('does not ping a socket that sent something since its last visit; once it falls silent it is pinged again, and dropped if it never answers', () => {
    const chatty = new FakeTarget(null);
    const quiet = new FakeTarget();
    let silentFromMs = Infinity;
    run([chatty, quiet], 6 * PERIOD_MS, {
      churn: (nowMs) => {
        // Chatty sends a frame every second for three periods, then nothing (and never pongs).
        if (nowMs < 3 * PERIOD_MS && nowMs % 1000 === 0) chatty.heard = true;
        if (nowMs >= 3 * PERIOD_MS && silentFromMs === Infinity) silentFromMs = nowMs;
      },
    });
    assert.ok(
      chatty.pingsAtMs.every((atMs) => atMs >= silentFromMs),
      `pinged at ${chatty.pingsAtMs.join(', ')} ms while it spoke`,
    );
    assert.ok(chatty.pingsAtMs.length >= 1, 'pinged once silent');
    assert.equal(chatty.dead, true, 'silent and not answering: dropped');
    assert.ok(
      quiet.pingsAtMs.length >= 5 && !quiet.dead,
      'a quiet socket that answers is pinged every period and kept',
    );
  });

  it('pings nothing after destroy()', () => {
    const target = new FakeTarget();
    const heartbeat = new Heartbeat<FakeTarget>({ periodMs: PERIOD_MS, sliceMs: SLICE_MS, onDead: () => undefined });
    heartbeat.add(target);
    heartbeat.destroy();
    heartbeat.destroy();
    for (let nowMs = 0; nowMs <= 2 * PERIOD_MS; nowMs += SLICE_MS) heartbeat.tick(nowMs);
    assert.deepEqual(target.pingsAtMs, []);
    assert.equal(heartbeat.size, 0);
  });
});
