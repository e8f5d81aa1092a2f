import assert from 'node:assert/strict';
import { SETTING_SOURCES, settingFlags, settingsFromSources, settingsHelp } from '../../tracker/cli-settings.ts';
import { DEFAULT_TRACKER_CONFIG, TrackerConfigError, resolveTrackerConfig } from '../../tracker/config.ts';

describe('tracker command-line settings', () => {
  it('takes a flag over the environment over the file', () => {
    const settings = settingsFromSources(
      { port: '9001', 'announce-burst': '7' },
      { PEERCDN_TRACKER_PORT: '9002', PEERCDN_TRACKER_HOST: '::1', PEERCDN_TRACKER_ANNOUNCE_BURST: '8' },
      { port: 9003, host: '127.0.0.1', logLevel: 'debug' },
    );
    assert.deepEqual(settings, { port: 9001, host: '::1', logLevel: 'debug', announceBurst: 7 });
  });

  it('reads comma-separated lists, numbers and strings, and treats empty text as unset', () => {
    const settings = settingsFromSources(
      { 'allowed-origins': 'https://a.example, https://*.b.example,', host: '' },
      {
        PEERCDN_TRACKER_ALLOWED_INFO_HASHES: '',
        PEERCDN_TRACKER_ANNOUNCE_RATE_PER_SECOND: '0.5',
        PEERCDN_TRACKER_SWARM_TOKEN_SECRET: 'from-the-environment',
      },
      {},
    );
    assert.deepEqual(settings, {
      allowedOrigins: ['https://a.example', 'https://*.b.example'],
      announceRatePerSecond: 0.5,
      swarmTokenSecret: 'from-the-environment',
    });
    assert.deepEqual(resolveTrackerConfig(settings).allowedOrigins, ['https://a.example', 'https://*.b.example']);
  });

  it('names the setting when a number is not one', () => {
    assert.throws(
      () => settingsFromSources({}, { PEERCDN_TRACKER_MAX_CONNECTIONS_PER_ADDRESS: 'lots' }, {}),
      (error: unknown) => error instanceof TrackerConfigError && error.key === 'maxConnectionsPerAddress',
    );
  });

  it('keeps the token secret off the command line', () => {
    assert.equal(SETTING_SOURCES.swarmTokenSecret.flag, null);
    assert.ok(!Object.keys(settingFlags()).some((flag) => flag.includes('secret')));
  });

  it('documents every setting, its variable and its default in --help', () => {
    const help = settingsHelp();
    for (const [key, source] of Object.entries(SETTING_SOURCES)) {
      assert.ok(help.includes(` ${key} `), key);
      assert.ok(help.includes(source.env), source.env);
      if (source.flag !== null) assert.ok(help.includes(`--${source.flag} `), source.flag);
    }
    assert.ok(help.includes(`default ${DEFAULT_TRACKER_CONFIG.announceBurst}`));
  });
});
