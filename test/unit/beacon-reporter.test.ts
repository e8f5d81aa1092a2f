import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolveConfig } from '../../lib/api/config.ts';
import { P2PError } from '../../lib/api/errors.ts';
import { BeaconReporter, LIBRARY_VERSION, startBeacons } from '../../lib/engine/beacon-reporter.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { PeerCDN } from '../../lib/peercdn.ts';
import { isBeaconProblem, parseBeacon, type Beacon } from '../../lib/shared/beacon.ts';

const S1 = 'swarm-one-swarm-one1';
const S2 = 'swarm-two-swarm-two2';

/** A media element as far as beacons read it: events and `seeking`. */
class FakeMedia extends EventTarget {
  seeking = false;
}

describe('viewer beacons (library side)', () => {
  let nowMs = 0;
  let engine: Engine;
  let sent: Beacon[];
  const loaded = (
    source: 'http' | 'peer' | 'cache',
    swarmId: string,
    sequenceNumber: number,
    bytes: number,
    peerBytes = 0,
  ): void =>
    engine.segmentLoaded({
      source,
      swarmId,
      sequenceNumber,
      data: new ArrayBuffer(bytes),
      durationMs: 100,
      peerId: source === 'peer' ? 'p' : null,
      startSeconds: sequenceNumber * 2,
      peerBytes,
    });
  const reporter = (settings: Record<string, unknown> = {}): BeaconReporter => {
    const config = resolveConfig({
      beaconUrl: 'http://127.0.0.1:9/beacon',
      beaconIntervalSeconds: 3600,
      region: 'eu-1',
      ...settings,
    });
    return new BeaconReporter(config, engine.events, () => engine.stats(), {
      random: () => 0.123456789,
      nowMs: () => nowMs,
      transport: (url, body) => {
        assert.equal(url, 'http://127.0.0.1:9/beacon');
        const beacon = parseBeacon(body);
        assert.ok(
          !isBeaconProblem(beacon),
          `the tracker's validator refuses the library's beacon: ${JSON.stringify(beacon)} ${body}`,
        );
        sent.push(beacon);
      },
    });
  };
  beforeEach(() => {
    nowMs = 1000;
    sent = [];
    engine = new Engine(resolveConfig({}), {
      createTrackerClient: () => assert.fail('no tracker in this test'),
      random: () => 0.5,
      nowMs: () => nowMs,
    });
  });
  afterEach(() => engine.destroy());

  it('reports byte deltas by source under the current swarm that add up to the engine counters, aborted loads and resumed segments included', () => {
    const beacons = reporter();
    engine.httpBytesLoaded(50); // an aborted load before any segment: waits for a swarm to go to
    beacons.send(false);
    loaded('http', S1, 1, 1000);
    loaded('peer', S1, 2, 800);
    loaded('cache', S1, 1, 1000);
    loaded('http', S2, 3, 500, 200); // HTTP-resumed: its first 200 bytes came from a peer
    engine.httpBytesLoaded(77); // an aborted HTTP load
    beacons.send(false);
    loaded('peer', S2, 4, 300);
    beacons.send(false);
    beacons.destroy();
    assert.equal(sent.length, 4);
    const sum = (key: 'httpBytes' | 'peerBytes' | 'cacheBytes'): number =>
      sent.flatMap((b) => b.swarms).reduce((total, swarm) => total + swarm[key], 0);
    const stats = engine.stats();
    assert.deepEqual(
      [sum('httpBytes'), sum('peerBytes'), sum('cacheBytes')],
      [stats.httpBytes, stats.p2pBytes, stats.cacheHitBytes],
    );
    assert.deepEqual(sent[0]?.swarms, []);
    assert.deepEqual(sent[1]?.swarms, [
      { swarm: S2, httpBytes: 50 + 1000 + 300 + 77, peerBytes: 800 + 200, cacheBytes: 1000 },
    ]);
    assert.deepEqual(sent[2]?.swarms, [{ swarm: S2, httpBytes: 0, peerBytes: 300, cacheBytes: 0 }]);
    assert.deepEqual(
      sent[3]?.swarms,
      [{ swarm: S2, httpBytes: 0, peerBytes: 0, cacheBytes: 0 }],
      'the current swarm is listed while nothing moves',
    );
    assert.deepEqual(
      sent.map((b) => [b.sequence, b.final]),
      [
        [0, false],
        [1, false],
        [2, false],
        [3, true],
      ],
    );
    assert.deepEqual(new Set(sent.map((b) => b.session)).size, 1);
    assert.equal(sent[0]?.region, 'eu-1');
    assert.equal(sent[0]?.library, LIBRARY_VERSION);
    beacons.destroy();
    assert.equal(sent.length, 4, 'nothing is sent after destroy()');
  });

  it('counts startup once from attach, stalls that follow playback (not seeks), fallbacks and integrity failures per interval', () => {
    const beacons = reporter();
    const media = new FakeMedia();
    // hls.js's level 1 is this browser's 360p (another browser may number it differently).
    const levels = [{ height: 180 }, { height: 360 }];
    beacons.watch({ media: media as unknown as HTMLMediaElement, currentLevel: 1, levels });
    loaded('http', S1, 1, 1000);
    nowMs += 850;
    media.dispatchEvent(new Event('playing'));
    nowMs += 5000;
    media.dispatchEvent(new Event('waiting'));
    nowMs += 1200;
    media.dispatchEvent(new Event('playing'));
    media.seeking = true;
    media.dispatchEvent(new Event('waiting'));
    media.dispatchEvent(new Event('playing'));
    media.seeking = false;
    engine.peerFallback(new P2PError('segment-corrupt', 'corrupt'));
    engine.peerFallback(new P2PError('peer-timeout', 'slow'));
    beacons.send(false);
    media.dispatchEvent(new Event('waiting'));
    nowMs += 300;
    beacons.destroy(); // a stall still going on ends with the final beacon
    assert.deepEqual(
      sent.map((b) => [b.startupMs, b.stallsMs, b.peerFallbacks, b.integrityFailures, b.height]),
      [
        [850, [1200], 2, 1, 360],
        [850, [300], 0, 0, 360],
      ],
    );
    media.dispatchEvent(new Event('waiting'));
    assert.equal(sent.length, 2, 'media listeners are removed');
  });

  it('tells the height of the rendition playing: none before hls.js chose one or when the playlist gives no RESOLUTION', () => {
    const beacons = reporter();
    const media = new FakeMedia() as unknown as HTMLMediaElement;
    const told: (number | null)[] = [];
    for (const playhead of [
      { media, currentLevel: -1, levels: [{ height: 720 }] },
      { media, currentLevel: 0, levels: [{ height: 0 }] },
      { media, currentLevel: 0, levels: [{ height: 720 }] },
      { media },
    ]) {
      beacons.watch(playhead);
      beacons.send(false);
      const last = sent.at(-1);
      assert.ok(last !== undefined, 'a beacon went out');
      told.push(last.height);
    }
    beacons.destroy();
    assert.deepEqual(told, [null, null, 720, null]);
  });

  it('is off without a URL, and sends nothing from viewers outside the sample', () => {
    const stats = (): ReturnType<Engine['stats']> => engine.stats();
    assert.equal(startBeacons(resolveConfig({}), engine.events, stats, { random: () => 0, nowMs: () => 0 }), null);
    const sampled = resolveConfig({ beaconUrl: 'https://tracker.example/beacon', beaconSampleRate: 0.25 });
    assert.equal(startBeacons(sampled, engine.events, stats, { random: () => 0.3, nowMs: () => 0 }), null);
    const chosen = startBeacons(sampled, engine.events, stats, {
      random: () => 0.2,
      nowMs: () => 0,
      transport: () => undefined,
    });
    assert.ok(chosen !== null);
    chosen.destroy();
  });

  it('sends the final beacon when a PeerCDN instance is destroyed, needs startBeacons passed in, and validates the beacon settings', () => {
    const bodies: string[] = [];
    assert.throws(() => new PeerCDN({ beaconUrl: 'http://127.0.0.1:9/beacon' }), /"beaconUrl" needs startBeacons/);
    const peercdn = new PeerCDN(
      { beaconUrl: 'http://127.0.0.1:9/beacon' },
      { startBeacons, sendBeacon: (_url, body) => bodies.push(body) },
    );
    peercdn.destroy();
    assert.equal(bodies.length, 1);
    assert.equal((parseBeacon(bodies[0] as string) as Beacon).final, true);
    for (const [key, value] of [
      ['beaconUrl', 'ws://x'],
      ['beaconIntervalSeconds', 0],
      ['beaconSampleRate', 1.5],
      ['region', 'eu west'],
    ] as const) {
      assert.throws(() => resolveConfig({ [key]: value }), new RegExp(`"${key}"`), key);
    }
  });

  it('refuses a beacon URL the browser cannot parse: its sendBeacon would throw, in destroy() before the engine is torn down', () => {
    for (const beaconUrl of ['https://tracker.test:99999/beacon', 'http://[::1/beacon', 'http://%zz/beacon'])
      assert.throws(() => new PeerCDN({ beaconUrl }, { startBeacons }), /"beaconUrl"/, beaconUrl);
  });

  it('finishes destroy() when the browser refuses the beacon by throwing, sending it with fetch instead', async () => {
    const runtime = globalThis as { navigator?: unknown; fetch: typeof fetch };
    const realFetch = runtime.fetch;
    const posted: string[] = [];
    // Browsers' sendBeacon throws a TypeError on a URL it will not send to (W3C Beacon, step 1).
    runtime.navigator = {
      sendBeacon: () => {
        throw new TypeError('The URL argument is ill-formed or unsupported.');
      },
    };
    runtime.fetch = (url) => {
      posted.push(url as string);
      return Promise.reject(new TypeError('refused'));
    };
    try {
      const peercdn = new PeerCDN({ beaconUrl: 'http://127.0.0.1:9/beacon' }, { startBeacons });
      peercdn.destroy();
      assert.deepEqual(posted, ['http://127.0.0.1:9/beacon']);
      assert.equal(peercdn.stats().swarms, 0);
      await new Promise((resolve) => setImmediate(resolve)); // the rejected fetch is handled
    } finally {
      delete runtime.navigator;
      runtime.fetch = realFetch;
    }
  });

  it('reports the version package.json declares', () => {
    assert.equal(
      LIBRARY_VERSION,
      (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
    );
  });
});
