import assert from 'node:assert/strict';
import { ISSUE_FLOOD, simulateFlood } from '../../bench/tracker-flood.ts';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';

describe('tracker under an announce flood (real frames, fake clock)', () => {
  it('with default settings, 200 sockets announcing 2,000 times/s leave >= 90% of honest offers reaching the 20 honest peers', async () => {
    const result = await simulateFlood(ISSUE_FLOOD);
    assert.equal(result.floodAnnounces, 20_000);
    assert.equal(result.honestOffersSent, 20 * 5 * 5, 'each honest peer announced every 2 s for 10 s');
    assert.ok(result.honestShare >= 0.9, `honest share ${result.honestShare}`);
    const snapshot = result.snapshot;
    assert.ok(snapshot !== null);
    assert.equal(snapshot.connectionsBenched, 200, 'every flooding socket is benched');
    assert.ok((snapshot.rejectedByReason['rate-limited'] ?? 0) > 13_000);
    assert.ok(snapshot.offersWithheld > 0);
  });

  it('without probation and bench the same flood takes most honest offers (the defences are what holds)', async () => {
    const result = await simulateFlood(ISSUE_FLOOD, {
      ...DEFAULT_TRACKER_CONFIG,
      newPeerProbationMs: 0,
      rateBenchMs: 0,
    });
    assert.ok(result.honestShare < 0.3, `honest share ${result.honestShare}`);
  });

  it('also holds when the flood starts together with the swarm (a flooding socket announces again during its probation)', async () => {
    const result = await simulateFlood({ ...ISSUE_FLOOD, swarmAgeMs: 0, seed: 2 });
    assert.ok(result.honestShare >= 0.9, `honest share ${result.honestShare}`);
    assert.ok((result.snapshot?.probationRestarts ?? 0) >= 200);
  });
});
