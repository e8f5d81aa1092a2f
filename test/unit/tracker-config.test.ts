import assert from 'node:assert/strict';
import { DEFAULT_TRACKER_CONFIG, TrackerConfigError, resolveTrackerConfig } from '../../tracker/config.ts';

describe('tracker config', () => {
  it('starts from frozen defaults and overrides only what is given', () => {
    assert.ok(Object.isFrozen(DEFAULT_TRACKER_CONFIG));
    assert.deepEqual(resolveTrackerConfig({}), DEFAULT_TRACKER_CONFIG);
    const config = resolveTrackerConfig({ port: 0, host: '::1', heartbeatMs: undefined });
    assert.deepEqual([config.port, config.host, config.heartbeatMs], [0, '::1', DEFAULT_TRACKER_CONFIG.heartbeatMs]);
    assert.ok(Object.isFrozen(config));
    assert.equal(DEFAULT_TRACKER_CONFIG.port, 8000);
  });

  it('rejects unknown keys, wrong types and out-of-range values, naming the key', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ prot: 8000 }, 'prot'],
      [{ port: '8000' }, 'port'],
      [{ port: 65_536 }, 'port'],
      [{ port: 1.5 }, 'port'],
      [{ host: '' }, 'host'],
      [{ announceIntervalSeconds: 0 }, 'announceIntervalSeconds'],
      [{ maxMessageBytes: 10 }, 'maxMessageBytes'],
      [{ maxOffersPerAnnounce: Number.NaN }, 'maxOffersPerAnnounce'],
      [{ peerTimeoutMs: 60_000, announceIntervalSeconds: 60 }, 'peerTimeoutMs'],
    ];
    for (const [settings, key] of cases) {
      assert.throws(
        () => resolveTrackerConfig(settings),
        (error: unknown) => error instanceof TrackerConfigError && error.key === key && error.message.includes(`"${key}"`),
        JSON.stringify(settings),
      );
    }
  });
});
