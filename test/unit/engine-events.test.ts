import assert from 'node:assert/strict';
import { resolveConfig } from '../../lib/api/config.ts';
import { P2PError } from '../../lib/api/errors.ts';
import { Engine } from '../../lib/engine/engine.ts';
import type { TrackerClient } from '../../lib/swarm/tracker-client.ts';

const silentTracker = (): TrackerClient => ({ on: () => undefined, start: () => undefined, destroy: () => undefined });
const newEngine = (): Engine =>
  new Engine(resolveConfig({ trackerUrls: ['ws://tracker.invalid'] }), {
    createTrackerClient: silentTracker,
    random: () => 0.5,
    nowMs: () => 0,
  });
// Lets every queued microtask run (a re-emit loop would keep queueing them).
const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('engine events when listeners throw', () => {
  it('calls a throwing `error` listener once per error, not again for its own failure', async () => {
    const engine = newEngine();
    let calls = 0;
    // Stops throwing after 1,000 calls so that, without the guard, the test ends (and fails).
    engine.events.on('error', () => {
      calls += 1;
      if (calls < 1000) throw new Error('listener bug');
    });
    engine.peerFallback(new P2PError('peer-timeout', 'a peer was slow'));
    await macrotask();
    assert.equal(calls, 1);
    engine.destroy();
  });

  it('reports a throwing `segment-loaded` listener once through `error`', async () => {
    const engine = newEngine();
    const errors: P2PError[] = [];
    engine.events.on('segment-loaded', () => {
      throw new Error('listener bug');
    });
    engine.events.on('error', (error) => errors.push(error));
    engine.segmentLoaded({
      source: 'http',
      swarmId: 's',
      sequenceNumber: 1,
      data: new ArrayBuffer(8),
      durationMs: 1,
      peerId: null,
      startSeconds: 0,
    });
    await macrotask();
    assert.deepEqual(
      errors.map((error) => error.code),
      ['listener-error'],
    );
    engine.destroy();
  });
});
