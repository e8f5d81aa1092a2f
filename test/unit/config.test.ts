import assert from 'node:assert/strict';
import { DEFAULT_CONFIG, resolveConfig } from '../../lib/api/config.ts';
import { P2PError } from '../../lib/api/errors.ts';

function rejects(partial: unknown, key: string): void {
  assert.throws(
    () => resolveConfig(partial),
    (error: unknown) => error instanceof P2PError && error.code === 'config-invalid' && error.message.includes(key),
  );
}

describe('resolveConfig', () => {
  it('returns the frozen defaults when nothing is passed', () => {
    const config = resolveConfig();
    assert.deepEqual(config, DEFAULT_CONFIG);
    assert.ok(Object.isFrozen(config));
  });

  it('overrides only the keys that are passed', () => {
    const config = resolveConfig({ trackerUrls: ['wss://tracker.example/'], cacheMaxBytes: 2 * 1024 * 1024 });
    assert.deepEqual(config.trackerUrls, ['wss://tracker.example/']);
    assert.equal(config.cacheMaxBytes, 2 * 1024 * 1024);
    assert.equal(config.maxPeersPerSwarm, DEFAULT_CONFIG.maxPeersPerSwarm);
  });

  it('rejects an unknown key and names it', () => {
    rejects({ trackerUrl: 'ws://x' }, 'trackerUrl');
  });

  it('rejects wrong types and ranges, naming the key', () => {
    rejects({ trackerUrls: 'ws://x' }, 'trackerUrls');
    rejects({ trackerUrls: ['http://x'] }, 'trackerUrls');
    rejects({ iceServers: [{ url: 'stun:x' }] }, 'iceServers');
    rejects({ cacheMaxBytes: 10 }, 'cacheMaxBytes');
    rejects({ maxPeersPerSwarm: 0 }, 'maxPeersPerSwarm');
    rejects({ offersPerAnnounce: 6 }, 'offersPerAnnounce');
    rejects({ peerFirstByteTimeoutMs: 1.5 }, 'peerFirstByteTimeoutMs');
    rejects({ silentPeerFallback: 'yes' }, 'silentPeerFallback');
    rejects({ seederWaitMs: -1 }, 'seederWaitMs');
    rejects({ startupPeerWaitMs: 10_001 }, 'startupPeerWaitMs');
    rejects({ startupPeerWaitMs: 1.5 }, 'startupPeerWaitMs');
    rejects({ validateSegment: 'sha256' }, 'validateSegment');
    rejects({ segmentHashesUrl: '' }, 'segmentHashesUrl');
    rejects({ segmentHashesUrl: 'a b.json' }, 'segmentHashesUrl');
    rejects({ requireSegmentHashes: 'yes' }, 'requireSegmentHashes');
    rejects({ uploadEnabled: 'yes' }, 'uploadEnabled');
    rejects({ uploadMaxBytesPerSecond: 100 }, 'uploadMaxBytesPerSecond');
    rejects({ uploadBacklogMs: 99 }, 'uploadBacklogMs');
    rejects({ uploadBacklogMs: 1500.5 }, 'uploadBacklogMs');
    rejects({ httpWindowSeconds: 1 }, 'httpWindowSeconds');
    rejects({ swarmId: '' }, 'swarmId');
  });

  it('takes origins with weights, and rejects bad ones naming the key', () => {
    const origins = [{ baseUrl: 'https://a.example/live/', weight: 3 }, { baseUrl: 'http://127.0.0.1:8081/' }];
    assert.deepEqual(resolveConfig({ origins }).origins, origins);
    assert.deepEqual(resolveConfig({ origins: [] }).origins, []);
    rejects({ origins: [{ baseUrl: 'https://a.example/live' }] }, 'origins'); // no trailing slash
    rejects({ origins: [{ baseUrl: 'ftp://a.example/' }] }, 'origins');
    rejects({ origins: [{ url: 'https://a.example/' }] }, 'origins');
    rejects({ origins: [{ baseUrl: 'https://a.example/', weight: -1 }] }, 'origins');
    rejects({ origins: [{ baseUrl: 'https://a.example/', weight: 1.5 }] }, 'origins');
    rejects({ origins: [{ baseUrl: 'https://a.example/', weight: 0 }] }, 'origins'); // nobody to use
    rejects({ origins: Array(17).fill({ baseUrl: 'https://a.example/' }) }, 'origins');
    rejects({ origins: 'https://a.example/' }, 'origins');
  });

  it('rejects ICE servers the browser would refuse (each offer and answer would then fail: no P2P, no announce with offers), naming the key', () => {
    // RTCPeerConnection throws on a URL that is not stun:, stuns:, turn: or turns:, and on a TURN
    // server without username and credential (W3C WebRTC, "set the configuration").
    for (const iceServers of [
      [{ urls: 'stun.l.google.com:19302' }],
      [{ urls: ['stun:stun.example', 'https://turn.example'] }],
      [{ urls: 'turn:turn.example' }],
      [{ urls: 'turns:turn.example:443', username: 'u' }],
      [{ urls: [42] }],
    ])
      rejects({ iceServers }, 'iceServers');
    const accepted = [
      { urls: 'stun:stun.example:3478' },
      { urls: ['turn:turn.example?transport=tcp', 'turns:turn.example:443'], username: 'u', credential: 'c' },
    ];
    assert.deepEqual(resolveConfig({ iceServers: accepted }).iceServers, accepted);
  });

  it('rejects a load timeout shorter than the first-byte timeout', () => {
    rejects({ peerFirstByteTimeoutMs: 3000, peerLoadTimeoutMs: 2000 }, 'peerLoadTimeoutMs');
  });

  it('rejects a config that is not an object', () => {
    rejects(null, 'object');
    rejects([1], 'object');
  });
});
