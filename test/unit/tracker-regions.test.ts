import assert from 'node:assert/strict';
import { seededRandom } from '../../bench/seeded-random.ts';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';
import { TrackerCore } from '../../tracker/core.ts';
import { checkRegionPrefix, RegionResolver } from '../../tracker/region.ts';
import { FakeConnection, offer, wireId } from '../helpers/fake-connection.ts';

const HASH = wireId('swarm-regions');
const OFFERS = 5;

class RegionConnection extends FakeConnection {
  constructor(readonly region: string | null) {
    super();
  }
}

interface Viewer {
  readonly name: string;
  readonly connection: RegionConnection;
}

function setup(regions: Record<string, number>) {
  const clock = { nowMs: 0 };
  const core = new TrackerCore({ ...DEFAULT_TRACKER_CONFIG, nowMs: () => clock.nowMs, random: seededRandom(7) });
  const viewers: Viewer[] = [];
  const regionOf = new Map<string, string | null>();
  for (const [region, count] of Object.entries(regions)) {
    for (let i = 0; i < count; i++) {
      const name = `${region}${i}`;
      const connection = new RegionConnection(region === 'none' ? null : region);
      viewers.push({ name, connection });
      regionOf.set(wireId(name), connection.region);
    }
  }
  const announce = (viewer: Viewer, offers: number): void =>
    core.handle(
      JSON.stringify({
        action: 'announce',
        info_hash: HASH,
        peer_id: wireId(viewer.name),
        numwant: offers,
        offers: Array.from({ length: offers }, (_, n) => offer(n)),
      }),
      viewer.connection,
    );
  for (const viewer of viewers) announce(viewer, 0);
  // Past every newcomer's probation, so all are introduced.
  clock.nowMs += DEFAULT_TRACKER_CONFIG.newPeerProbationMs + 1;
  for (const viewer of viewers) {
    announce(viewer, 0);
    viewer.connection.take();
  }
  // Who received offers from whom, when `viewer` announces with offers.
  const introductions = (viewer: Viewer): (string | null)[] => {
    announce(viewer, OFFERS);
    const received: (string | null)[] = [];
    for (const other of viewers) {
      for (const frame of other.connection.take()) {
        if (frame['offer'] !== undefined) received.push(other.connection.region);
      }
    }
    viewer.connection.take();
    return received;
  };
  return { core, viewers, regionOf, introductions };
}

describe('tracker regions: peers of one region are introduced to each other first', () => {
  it('introduces same-region peers in at least 80% of offers while each region has as many peers as offers asked', () => {
    const { core, viewers, introductions } = setup({ eu: 12, us: 12 });
    let same = 0;
    let total = 0;
    for (let round = 0; round < 3; round++) {
      for (const viewer of viewers) {
        const received = introductions(viewer);
        assert.equal(received.length, OFFERS, 'every offer reaches someone');
        total += received.length;
        same += received.filter((region) => region === viewer.connection.region).length;
      }
    }
    console.log(`      ${same} of ${total} introductions same-region (${((same / total) * 100).toFixed(1)}%)`);
    assert.ok(same / total >= 0.8, `${same} of ${total}`);
    assert.equal(core.stats().offersRelayedSameRegion, same);
  });

  it('fills the rest from other regions when a region has fewer peers than offers, with no peer twice', () => {
    const { viewers, introductions } = setup({ ap: 3, eu: 10 });
    const apViewer = viewers[0] as Viewer;
    for (let round = 0; round < 10; round++) {
      const received = introductions(apViewer);
      assert.equal(received.length, OFFERS);
      assert.equal(received.filter((region) => region === 'ap').length, 2, 'both other ap peers first');
    }
  });

  it('introduces peers without a region (plain WebTorrent clients) to anyone, and anyone to them', () => {
    const { viewers, introductions } = setup({ none: 8, eu: 8 });
    const plain = viewers[0] as Viewer;
    const regions = new Set<string | null>();
    for (let round = 0; round < 10; round++) for (const region of introductions(plain)) regions.add(region);
    assert.deepEqual([...regions].sort(), ['eu', null].sort());
  });

  it("takes a connection's region from its ?region= hint, else from the first address prefix that holds it", () => {
    const regions = new RegionResolver(['10.1.0.0/16=eu-west', '10.0.0.0/8=other', 'fd00::/8=v6']);
    assert.equal(regions.resolve('/?region=us-east&token=x', '10.1.2.3'), 'us-east');
    assert.equal(regions.resolve('/?region=bad%20name', '10.1.2.3'), 'eu-west', 'an invalid hint is ignored');
    assert.equal(regions.resolve('/', '10.2.0.1'), 'other');
    assert.equal(regions.resolve('/', 'fd00::1'), 'v6');
    assert.equal(regions.resolve('/', '127.0.0.1'), null);
    assert.equal(new RegionResolver([]).resolve('/announce', '10.1.2.3'), null);
    assert.equal(checkRegionPrefix('10.1.0.0/16=eu-west'), null);
    assert.notEqual(checkRegionPrefix('10.1.0.0/16'), null);
    assert.notEqual(checkRegionPrefix('10.1.0.0/33=eu'), null);
    assert.notEqual(checkRegionPrefix('10.1.0.0/16=e u'), null);
  });
});
