import assert from 'node:assert/strict';
import {
  DEFAULT_TRACKER_CONFIG,
  TrackerConfigError,
  isClusterMode,
  parseHostPort,
  resolveTrackerConfig,
} from '../../tracker/config.ts';

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
      [{ maxNumwant: -1 }, 'maxNumwant'],
      [{ allowedOrigins: 'https://example.com' }, 'allowedOrigins'],
      [{ allowedOrigins: ['https://example.com', 'https://example.com/'] }, 'allowedOrigins'],
      [{ allowedOrigins: [42] }, 'allowedOrigins'],
      [{ allowedInfoHashes: ['not-a-hash'] }, 'allowedInfoHashes'],
      [{ swarmTokenSecret: 'too-short' }, 'swarmTokenSecret'],
      [{ swarmTokenSecret: 12_345_678_901_234_568 }, 'swarmTokenSecret'],
      [{ maxConnectionsPerAddress: -1 }, 'maxConnectionsPerAddress'],
      [{ announceRatePerSecond: 0 }, 'announceRatePerSecond'],
      [{ announceBurst: 0.5 }, 'announceBurst'],
      [{ logLevel: 'verbose' }, 'logLevel'],
    ];
    for (const [settings, key] of cases) {
      assert.throws(
        () => resolveTrackerConfig(settings),
        (error: unknown) =>
          error instanceof TrackerConfigError && error.key === key && error.message.includes(`"${key}"`),
        JSON.stringify(settings),
      );
    }
  });

  it('accepts the access and limit settings, keeping lists frozen copies', () => {
    const origins = ['https://video.example.com', 'https://*.example.org'];
    const config = resolveTrackerConfig({
      allowedOrigins: origins,
      allowedInfoHashes: ['0123456789abcdef0123456789ABCDEF01234567', 'twenty-character-id!'],
      swarmTokenSecret: 'sixteen-chars-ok',
      maxConnectionsPerAddress: 50,
      announceRatePerSecond: 0.5,
      announceBurst: 5,
      maxNumwant: 0,
      logLevel: 'off',
    });
    assert.deepEqual(config.allowedOrigins, origins);
    assert.notEqual(config.allowedOrigins, origins);
    assert.ok(Object.isFrozen(config.allowedOrigins));
    assert.deepEqual([config.announceRatePerSecond, config.logLevel], [0.5, 'off']);
  });

  it('never repeats the token secret in its error message', () => {
    assert.throws(
      () => resolveTrackerConfig({ swarmTokenSecret: 'hunter2' }),
      (error: unknown) =>
        error instanceof TrackerConfigError &&
        !error.message.includes('hunter2') &&
        error.message.includes('7 characters'),
    );
  });
  it('takes a redis:// URL for cluster mode without echoing it, and refuses workers without one', () => {
    assert.equal(resolveTrackerConfig({ redisUrl: 'redis://:pw@10.0.0.5:6379/0', workers: 4 }).workers, 4);
    assert.equal(DEFAULT_TRACKER_CONFIG.redisUrl, '', 'no Redis unless asked');
    assert.throws(
      () => resolveTrackerConfig({ redisUrl: 'http://user:s3cret@redis:6379' }),
      (error: unknown) =>
        error instanceof TrackerConfigError && error.key === 'redisUrl' && !error.message.includes('s3cret'),
    );
    assert.throws(
      () => resolveTrackerConfig({ workers: 2 }),
      (error: unknown) =>
        error instanceof TrackerConfigError && error.key === 'workers' && /redisUrl/.test(error.message),
    );
  });
  it('takes sentinels as host:port with the master name instead of a URL, and names what is wrong', () => {
    const config = resolveTrackerConfig({
      redisSentinels: ['10.0.0.7:26379', '[fd00::7]:26380', 'sentinel-3.internal:26379'],
      redisSentinelName: 'peercdn',
      workers: 2,
    });
    assert.equal(isClusterMode(config), true);
    assert.equal(isClusterMode(DEFAULT_TRACKER_CONFIG), false);
    assert.deepEqual(parseHostPort('[fd00::7]:26380'), { host: 'fd00::7', port: 26380 });
    const refused = (settings: Record<string, unknown>, key: string, pattern: RegExp): void =>
      assert.throws(
        () => resolveTrackerConfig(settings),
        (error: unknown) => error instanceof TrackerConfigError && error.key === key && pattern.test(error.message),
      );
    refused({ redisSentinels: ['10.0.0.7'], redisSentinelName: 'peercdn' }, 'redisSentinels', /entry 0 .*host:port/);
    refused({ redisSentinels: ['10.0.0.7:70000'], redisSentinelName: 'peercdn' }, 'redisSentinels', /host:port/);
    refused({ redisSentinels: ['10.0.0.7:26379'] }, 'redisSentinelName', /needed with redisSentinels/);
    refused(
      { redisSentinels: ['10.0.0.7:26379'], redisSentinelName: 'peercdn', redisUrl: 'redis://10.0.0.5:6379' },
      'redisSentinels',
      /exclude each other/,
    );
    assert.deepEqual(resolveTrackerConfig({ redisClusterNodes: ['10.0.0.8:7000'] }).redisClusterNodes, [
      '10.0.0.8:7000',
    ]);
    refused(
      { redisClusterNodes: ['10.0.0.8:7000'], redisUrl: 'redis://10.0.0.5:6379' },
      'redisClusterNodes',
      /"redisUrl" and "redisClusterNodes" exclude each other/,
    );
    refused({ redisClusterNodes: ['10.0.0.8'] }, 'redisClusterNodes', /host:port/);
    refused({ redisSentinelName: 'bad name' }, 'redisSentinelName', /letters, digits/);
  });
});
