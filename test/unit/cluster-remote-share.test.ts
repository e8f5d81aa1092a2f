import assert from 'node:assert/strict';
import { seededRandom } from '../../bench/seeded-random.ts';
import { ClusterCounts } from '../../tracker/cluster/cluster-counts.ts';
import { remoteShare, type SwarmSpread } from '../../tracker/cluster/remote-share.ts';
import type { LocalOthers } from '../../tracker/cluster/swarm-cluster.ts';

const spread = (localOthers: number, remoteOthers: number, localSameRegion = 0, remoteSameRegion = 0): SwarmSpread => ({
  localOthers,
  remoteOthers,
  localSameRegion,
  remoteSameRegion,
});
const at = (value: number) => () => value;

describe('tracker cluster: how many offers go to peers on other nodes', () => {
  const cases: { name: string; spread: SwarmSpread; wanted: number; low: number; high: number }[] = [
    { name: 'none while no peer is elsewhere', spread: spread(5, 0, 2, 0), wanted: 4, low: 0, high: 0 },
    { name: 'none when no offer is wanted', spread: spread(5, 5, 2, 2), wanted: 0, low: 0, high: 0 },
    { name: 'in proportion when nobody has a region', spread: spread(6, 2), wanted: 4, low: 1, high: 1 },
    { name: 'rounded either way around the proportion', spread: spread(3, 1), wanted: 2, low: 0, high: 1 },
    {
      name: 'all to the same-region peers elsewhere when none is here',
      spread: spread(3, 4, 0, 3),
      wanted: 3,
      low: 3,
      high: 3,
    },
    {
      name: 'same-region peers here and there before any other',
      spread: spread(4, 4, 1, 3),
      wanted: 4,
      low: 3,
      high: 3,
    },
    { name: 'then the others, in proportion', spread: spread(4, 4, 1, 3), wanted: 5, low: 3, high: 4 },
    { name: 'the rest elsewhere when the region is all here', spread: spread(2, 3, 2, 0), wanted: 3, low: 1, high: 1 },
    {
      name: 'stale counts bounded (a region count below zero)',
      spread: spread(2, 2, 1, -1),
      wanted: 2,
      low: 0,
      high: 1,
    },
    { name: 'stale counts bounded (fewer peers than here)', spread: spread(3, -1, 1, 0), wanted: 2, low: 0, high: 0 },
  ];
  for (const { name, spread: swarm, wanted, low, high } of cases) {
    it(name, () => {
      assert.equal(remoteShare(swarm, wanted, at(0)), low, 'random() = 0');
      assert.equal(remoteShare(swarm, wanted, at(0.999)), high, 'random() just below 1');
      // A bad injected source that returns 1 rounds up at most.
      assert.equal(remoteShare(swarm, wanted, at(1)), high, 'random() = 1');
    });
  }

  it('never asks for more same-region peers than either side has while they are enough, and is exact on average', () => {
    const random = seededRandom(15);
    for (let round = 0; round < 2000; round++) {
      const localOthers = Math.floor(random() * 10);
      const remoteOthers = Math.floor(random() * 10);
      const localSame = Math.floor(random() * (localOthers + 1));
      const remoteSame = Math.floor(random() * (remoteOthers + 1));
      const wanted = 1 + Math.floor(random() * 6);
      const swarm = spread(localOthers, remoteOthers, localSame, remoteSame);
      const share = remoteShare(swarm, wanted, random);
      assert.ok(share >= 0 && share <= wanted, `${share} of ${wanted}`);
      if (wanted <= localSame + remoteSame) {
        assert.ok(share <= remoteSame, `${share} remote of ${remoteSame} same-region there (${JSON.stringify(swarm)})`);
        assert.ok(wanted - share <= localSame, `${wanted - share} local of ${localSame} same-region here`);
      }
    }
    // On average the rest splits in proportion: 1 offer over 3 others here and 1 there is 0.25 there.
    let sum = 0;
    for (let draw = 0; draw < 4000; draw++) sum += remoteShare(spread(4, 4, 1, 3), 5, random) - 3;
    assert.ok(Math.abs(sum / 4000 - 0.25) < 0.03, `mean ${sum / 4000}`);
  });
});

describe('tracker cluster: the split from the counts a node last read', () => {
  const here = (others: number, region: string | null, sameRegion: number): LocalOthers => ({
    others,
    region,
    sameRegion,
    joined: false,
  });

  it('sends the offers of a region’s first peer on this node to peers elsewhere, where its region-mates can only be', () => {
    const counts = new ClusterCounts();
    // 9 peers in the swarm: this one, 4 others here (none of region r1), 4 elsewhere; r1 not counted here yet.
    counts.record('swarm', 'r0', 9, 0, 5);
    assert.equal(counts.remoteShare('swarm', here(4, 'r1', 0), 4, at(0)), 4);
    // No more remote offers than peers elsewhere; the rest here.
    assert.equal(counts.remoteShare('swarm', here(4, 'r1', 0), 5, at(0)), 4);
  });

  it('splits by the counted region once a peer of it announced here, and in proportion without a region', () => {
    const counts = new ClusterCounts();
    counts.record('swarm', 'r1', 9, 0, 2);
    // r1 has 2 peers: this one and one here, none elsewhere: 1 same-region offer here, the other 3 in proportion (3 here, 4 there).
    assert.equal(counts.remoteShare('swarm', here(4, 'r1', 1), 4, at(0)), 1);
    assert.equal(counts.remoteShare('swarm', here(4, 'r1', 1), 4, at(0.999)), 2);
    assert.equal(counts.remoteShare('swarm', here(4, null, 0), 4, at(0)), 2);
  });

  it('lists the largest swarms, most peers first and ties in the order they were first counted, as a full sort would', () => {
    const counts = new ClusterCounts();
    const random = seededRandom(3);
    const recorded = Array.from({ length: 2000 }, (_, i) => ({
      infoHash: `swarm-${i}`,
      peers: Math.floor(random() * 50),
      seeders: i % 3,
    }));
    for (const { infoHash, peers, seeders } of recorded) counts.record(infoHash, null, peers, seeders, 0);
    const sorted = [...recorded].sort((a, b) => b.peers - a.peers);
    assert.deepEqual(counts.top(10), sorted.slice(0, 10));
    assert.deepEqual(counts.top(300), sorted.slice(0, 300));
    assert.deepEqual(counts.top(0), []);
  });
});
