import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BEACON_VERSION,
  MAX_BEACON_BYTES,
  MAX_BEACON_HEIGHT,
  MAX_BEACON_INTERVAL_BYTES,
  MAX_BEACON_STALLS,
  MAX_BEACON_SWARMS,
  encodeBeacon,
  isBeaconProblem,
  parseBeacon,
  type Beacon,
} from '../../lib/shared/beacon.ts';

const ALNUM = Array.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
const word = (chars: string[], minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...chars), { minLength, maxLength }).map((list) => list.join(''));
const bytes = fc.integer({ min: 0, max: MAX_BEACON_INTERVAL_BYTES });
const count = fc.integer({ min: 0, max: 2 ** 31 });
const swarmId = word(Array.from('!#$%&()*+,-./0123456789:;<=>?@ABCZabcz[]^_`{|}~"\\'), 20, 20);

// fast-check records have a null prototype; the parser returns plain objects.
const beaconArbitrary: fc.Arbitrary<Beacon> = fc
  .record({
    session: word(ALNUM, 8, 32),
    sequence: count,
    intervalSeconds: fc.integer({ min: 1, max: 3600 }),
    library: word([...ALNUM, '.', '+', '-'], 1, 32),
    region: fc.option(word([...ALNUM, '_', '.', '-'], 1, 32)),
    height: fc.option(fc.integer({ min: 0, max: MAX_BEACON_HEIGHT })),
    startupMs: fc.option(count),
    stallsMs: fc.array(count, { maxLength: MAX_BEACON_STALLS }),
    peerFallbacks: count,
    integrityFailures: count,
    uploadedBytes: bytes,
    connectedPeers: count,
    final: fc.boolean(),
    swarms: fc.uniqueArray(fc.record({ swarm: swarmId, httpBytes: bytes, peerBytes: bytes, cacheBytes: bytes }), {
      maxLength: MAX_BEACON_SWARMS,
      selector: (swarm) => swarm.swarm,
    }),
  })
  .map((b) => ({
    version: BEACON_VERSION,
    session: b.session,
    sequence: b.sequence,
    intervalSeconds: b.intervalSeconds,
    library: b.library,
    region: b.region,
    height: b.height,
    startupMs: b.startupMs,
    stallsMs: [...b.stallsMs],
    peerFallbacks: b.peerFallbacks,
    integrityFailures: b.integrityFailures,
    uploadedBytes: b.uploadedBytes,
    connectedPeers: b.connectedPeers,
    final: b.final,
    swarms: b.swarms.map((s) => ({
      swarm: s.swarm,
      httpBytes: s.httpBytes,
      peerBytes: s.peerBytes,
      cacheBytes: s.cacheBytes,
    })),
  }));

/** A value that is wrong for every field of a beacon (wrong type or out of every range). */
const invalidValue = fc.oneof(
  fc.constant(-1),
  fc.constant(0.5),
  fc.constant(2 ** 41),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
  fc.constant({}),
  fc.constant('x'.repeat(33)),
  fc.constant(''),
  fc.constant([{ swarm: 'short' }]),
);

describe('viewer beacon encoding and validation', () => {
  it('parses back exactly what was encoded, and a beacon at every bound fits in MAX_BEACON_BYTES', () => {
    fc.assert(
      fc.property(beaconArbitrary, (beacon) => {
        const text = encodeBeacon(beacon);
        assert.ok(Buffer.byteLength(text) <= MAX_BEACON_BYTES, `${Buffer.byteLength(text)} bytes`);
        assert.deepEqual(parseBeacon(text), beacon);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a beacon with any one key missing, any unknown key added, or any one field out of range', () => {
    fc.assert(
      fc.property(
        beaconArbitrary,
        fc.nat(),
        invalidValue,
        fc.constantFrom('missing', 'extra', 'invalid', 'invalid-swarm-field'),
        (beacon, pick, bad, kind) => {
          const object = JSON.parse(encodeBeacon(beacon)) as Record<string, unknown>;
          const keys = Object.keys(object);
          const key = keys[pick % keys.length] as string;
          // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing a field is the fault under test
          if (kind === 'missing') delete object[key];
          else if (kind === 'extra') object['ip'] = '203.0.113.7';
          else if (kind === 'invalid') {
            // null is valid for region, height and startupMs, booleans only for final: skip those pairs.
            if (key === 'version' && bad === BEACON_VERSION) return;
            object[key] = bad;
          } else {
            const swarms = object['swarms'] as Record<string, unknown>[];
            const swarm = swarms[pick % Math.max(1, swarms.length)];
            if (swarm === undefined) return;
            const swarmKeys = Object.keys(swarm);
            swarm[swarmKeys[pick % swarmKeys.length] as string] = bad;
          }
          assert.ok(
            isBeaconProblem(parseBeacon(JSON.stringify(object))),
            `accepted with ${kind} ${key}: ${JSON.stringify(object)}`,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary text or JSON, and whatever it accepts re-encodes to the same beacon', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.json({ maxDepth: 4 }),
          beaconArbitrary.map((b) => encodeBeacon(b).slice(0, -3)),
        ),
        (text) => {
          const result = parseBeacon(text);
          if (!isBeaconProblem(result)) assert.deepEqual(parseBeacon(encodeBeacon(result)), result);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses bodies over MAX_BEACON_BYTES, repeated swarms, too many swarms or stalls, and other versions', () => {
    const base = fc.sample(beaconArbitrary, { numRuns: 1, seed: 7 })[0] as Beacon;
    const swarm = { swarm: 'ABCDEFGHIJKLMNOPQRST', httpBytes: 1, peerBytes: 2, cacheBytes: 3 };
    const cases: Record<string, unknown> = {
      'a repeated swarm': { ...base, swarms: [swarm, swarm] },
      'too many swarms': {
        ...base,
        swarms: Array.from({ length: MAX_BEACON_SWARMS + 1 }, (_, i) => ({
          ...swarm,
          swarm: `ABCDEFGHIJKLMNOPQR${String(i).padStart(2, '0')}`,
        })),
      },
      'too many stalls': { ...base, stallsMs: new Array<number>(MAX_BEACON_STALLS + 1).fill(1) },
      'version 1 (it had `level`)': { ...base, version: 1 },
      'version 3': { ...base, version: 3 },
      'a height above 8640': { ...base, height: MAX_BEACON_HEIGHT + 1 },
      'a fractional height': { ...base, height: 720.5 },
      'a version 1 level instead of a height': {
        ...Object.fromEntries(Object.entries(base).filter(([key]) => key !== 'height')),
        level: 0,
      },
      'a session with a space': { ...base, session: 'abcd efgh' },
    };
    for (const [name, value] of Object.entries(cases))
      assert.ok(isBeaconProblem(parseBeacon(JSON.stringify(value))), name);
    const padded = ' '.repeat(MAX_BEACON_BYTES) + encodeBeacon({ ...base, swarms: [] });
    assert.doesNotThrow(() => JSON.parse(padded), 'the padded body is valid JSON');
    assert.deepEqual(parseBeacon(padded), { problem: `larger than ${MAX_BEACON_BYTES} bytes` });
    assert.ok(!isBeaconProblem(parseBeacon(encodeBeacon({ ...base, swarms: [swarm] }))));
  });
});
