import assert from 'node:assert/strict';
import { BEACON_VERSION, type Beacon, type BeaconSwarm } from '../../lib/shared/beacon.ts';
import { FleetAggregator, OTHER_SWARM } from '../../tracker/fleet-aggregator.ts';

const swarmId = (name: string): string => name.padEnd(20, '.');

function beacon(
  session: string,
  sequence: number,
  swarms: readonly BeaconSwarm[],
  extra: Partial<Beacon> = {},
): Beacon {
  return {
    version: BEACON_VERSION,
    session: session.padStart(8, '0'),
    sequence,
    intervalSeconds: 10,
    library: '0.1.0',
    region: null,
    height: 720,
    startupMs: null,
    stallsMs: [],
    peerFallbacks: 0,
    integrityFailures: 0,
    uploadedBytes: 0,
    connectedPeers: 0,
    final: false,
    swarms,
    ...extra,
  };
}
const bytesIn = (name: string, httpBytes: number, peerBytes: number, cacheBytes = 0): BeaconSwarm => ({
  swarm: swarmId(name),
  httpBytes,
  peerBytes,
  cacheBytes,
});

describe('fleet aggregation of viewer beacons', () => {
  let nowMs = 0;
  const aggregator = (topSwarms = 3, maxSessions = 1000): FleetAggregator =>
    new FleetAggregator({ topSwarms, maxSessions, nowMs: () => nowMs });
  beforeEach(() => {
    nowMs = 1_000_000;
  });

  it('sums bytes by source, computes offload, counts viewers, and forgets a viewer three intervals after its last beacon', () => {
    const fleet = aggregator();
    assert.equal(fleet.ingest(beacon('a', 0, [bytesIn('s1', 300, 100, 5)], { connectedPeers: 2 })), true);
    assert.equal(fleet.ingest(beacon('b', 0, [bytesIn('s1', 100, 500)], { connectedPeers: 1, height: 1088 })), true);
    let snapshot = fleet.snapshot();
    assert.deepEqual(snapshot.bytes, { http: 400, peer: 600, cache: 5 });
    assert.equal(snapshot.offloadRatio, 0.6);
    assert.equal(snapshot.viewers, 2);
    assert.equal(snapshot.connectedPeers, 3);
    // 1088 px (a 1920x1088 encode) is labelled as the common height nearest it.
    assert.deepEqual(snapshot.renditions, { '720p': 1, '1080p': 1 });
    assert.deepEqual(snapshot.swarms[0], {
      swarm: swarmId('s1'),
      viewers: 2,
      bytes: { http: 400, peer: 600, cache: 5 },
      offloadRatio: 0.6,
    });

    nowMs += 25_000; // a's and b's 10 s interval: still within 3 intervals
    fleet.ingest(beacon('a', 1, [bytesIn('s1', 0, 100)]));
    assert.equal(fleet.snapshot().viewers, 2);
    nowMs += 5_001; // b: 30.001 s since its beacon
    snapshot = fleet.snapshot();
    assert.equal(snapshot.viewers, 1);
    assert.equal(snapshot.swarms[0]?.viewers, 1);
    assert.deepEqual(snapshot.bytes, { http: 400, peer: 700, cache: 5 }, 'bytes stay counted after the viewer leaves');
  });

  it('ignores a replayed or older sequence number of a session, and a final beacon ends the viewer at once', () => {
    const fleet = aggregator();
    fleet.ingest(beacon('a', 3, [bytesIn('s1', 100, 0)]));
    assert.equal(fleet.ingest(beacon('a', 3, [bytesIn('s1', 100, 0)])), false);
    assert.equal(fleet.ingest(beacon('a', 2, [bytesIn('s1', 100, 0)])), false);
    assert.equal(fleet.snapshot().bytes.http, 100);
    assert.equal(fleet.ingest(beacon('a', 4, [bytesIn('s1', 50, 0)], { final: true })), true);
    nowMs += 5_000; // the next snapshot
    const snapshot = fleet.snapshot();
    assert.equal(snapshot.viewers, 0);
    assert.equal(snapshot.bytes.http, 150);
    assert.equal(snapshot.beacons, 2);
  });

  it('records startup once per session and every stall in the histograms', () => {
    const fleet = aggregator();
    fleet.ingest(beacon('a', 0, [], { startupMs: 700 }));
    fleet.ingest(beacon('a', 1, [], { startupMs: 700, stallsMs: [50, 3000] }));
    fleet.ingest(beacon('b', 0, [], { startupMs: 40_000, stallsMs: [100_000] }));
    const { startupSeconds, stallSeconds } = fleet.snapshot();
    assert.equal(startupSeconds.count, 2);
    assert.equal(startupSeconds.sumSeconds, 40.7);
    assert.deepEqual(startupSeconds.counts, [0, 0, 1, 0, 0, 0, 0, 0, 1], 'one in the 1 s bucket, one above 32 s');
    assert.equal(stallSeconds.count, 3);
    assert.deepEqual(stallSeconds.counts, [1, 0, 0, 0, 0, 1, 0, 0, 1]);
  });

  it('keeps per-swarm series for the top K swarms by viewers only: the rest add up under other, and a swarm that falls out stops being listed', () => {
    const fleet = aggregator(2, 10_000);
    // Three swarms with 3, 2 and 1 viewers; the first two beacons take the two free places.
    let session = 0;
    for (const [name, viewers] of [
      ['big', 3],
      ['mid', 2],
      ['small', 1],
    ] as const) {
      for (let i = 0; i < viewers; i++) fleet.ingest(beacon(`v${session++}`, 0, [bytesIn(name, 10, 10)]));
    }
    let snapshot = fleet.snapshot();
    assert.deepEqual(
      snapshot.swarms.map((s) => [s.swarm, s.viewers]),
      [
        [swarmId('big'), 3],
        [swarmId('mid'), 2],
        [OTHER_SWARM, 1],
      ],
    );
    assert.deepEqual(snapshot.swarms[2]?.bytes, { http: 10, peer: 10, cache: 0 });

    // Thousands of distinct swarms from forged beacons still make K + 1 series.
    for (let i = 0; i < 5000; i++) fleet.ingest(beacon(`f${i}`, 0, [bytesIn(`forged${i}`, 1, 0)]));
    nowMs += 5_000; // the next snapshot
    snapshot = fleet.snapshot();
    assert.equal(snapshot.swarms.length, 3);
    assert.equal(snapshot.swarms.at(-1)?.swarm, OTHER_SWARM);
    assert.equal(snapshot.bytes.http, 60 + 5000);

    // The small swarm grows to 4 viewers while mid's go silent: small enters, mid leaves.
    nowMs += 26_000; // 31 s after mid's beacons
    for (let i = 0; i < 4; i++) fleet.ingest(beacon(`late${i}`, 0, [bytesIn('small', 1, 1)]));
    for (let i = 0; i < 3; i++) fleet.ingest(beacon(`v${i}`, 1, [bytesIn('big', 1, 1)]));
    snapshot = fleet.snapshot();
    assert.deepEqual(
      snapshot.swarms.map((s) => [s.swarm, s.viewers]),
      [
        [swarmId('small'), 4],
        [swarmId('big'), 3],
        [OTHER_SWARM, 0],
      ],
    );
  });

  it('bounds the sessions it remembers: beyond maxSessions bytes still count but viewers do not', () => {
    const fleet = aggregator(3, 2);
    for (let i = 0; i < 5; i++) fleet.ingest(beacon(`s${i}`, 0, [bytesIn('s1', 1, 0)], { startupMs: 1000 }));
    const snapshot = fleet.snapshot();
    assert.equal(snapshot.viewers, 2);
    assert.equal(snapshot.bytes.http, 5);
    assert.equal(snapshot.startupSeconds.count, 5, 'first beacons of unremembered sessions still report startup');
  });

  it('lists current viewers by region and library version, most first and at most ten of each', () => {
    const fleet = aggregator();
    for (let i = 0; i < 12; i++)
      fleet.ingest(beacon(`r${i}`, 0, [], { region: `region-${i % 11}`, library: i < 9 ? '0.1.0' : '0.2.0' }));
    const snapshot = fleet.snapshot();
    assert.equal(Object.keys(snapshot.regions).length, 10);
    assert.equal(snapshot.regions['region-0'], 2);
    assert.deepEqual(snapshot.libraries, { '0.1.0': 9, '0.2.0': 3 });
  });

  it('takes a snapshot at most once per 5 s: scrapes within that get the same one, a later scrape shows what came in meanwhile', () => {
    const fleet = aggregator();
    fleet.ingest(beacon('a', 0, [bytesIn('s1', 100, 300)], { region: 'eu-west' }));
    const first = fleet.snapshot();
    fleet.ingest(beacon('b', 0, [bytesIn('s2', 100, 0)], { region: 'us-east' }));
    nowMs += 4_999;
    assert.equal(fleet.snapshot(), first, 'the same snapshot: no walk over the sessions');
    assert.equal(first.viewers, 1);
    nowMs += 1;
    const next = fleet.snapshot();
    assert.equal(next.viewers, 2);
    assert.deepEqual(next.bytes, { http: 200, peer: 300, cache: 0 });
    assert.deepEqual(next.regions, { 'eu-west': 1, 'us-east': 1 });
  });
});
