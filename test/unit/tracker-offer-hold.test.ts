import assert from 'node:assert/strict';
import { seededRandom } from '../../bench/seeded-random.ts';
import type { ClaimOutcome, ClusterDelivery, SwarmCluster } from '../../tracker/cluster/swarm-cluster.ts';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';
import { TrackerCore } from '../../tracker/core.ts';
import type { Offer, SwarmCounts } from '../../tracker/protocol.ts';
import { FakeConnection, offer, wireId } from '../helpers/fake-connection.ts';

const HASH = wireId('held-swarm');

/** A cluster port whose store answers claims when the test says: every offer stays on this node. */
class FakeCluster implements SwarmCluster {
  readonly claims: { peerId: string; answer: (outcome: ClaimOutcome) => void }[] = [];
  readonly unheld: string[] = [];
  delivery: ClusterDelivery | null = null;

  remoteShare(): number {
    return 0;
  }
  announced(
    infoHash: string,
    peerId: string,
    _seeder: boolean,
    _remoteOffers: readonly Offer[],
    _region: string | null,
    claimed?: (outcome: ClaimOutcome) => void,
  ): void {
    if (claimed === undefined) {
      this.unheld.push(peerId);
      return;
    }
    this.claims.push({
      peerId,
      answer: (outcome) => {
        claimed(outcome);
        if (outcome === 'taken') this.delivery?.refuseTaken(infoHash, peerId);
      },
    });
  }
  left(): void {}
  counts(_infoHash: string, local: SwarmCounts): SwarmCounts {
    return local;
  }
  scrape(_files: Map<string, SwarmCounts>, reply: () => void): void {
    reply();
  }
  relayAnswer(): boolean {
    return false;
  }
}

function setUp() {
  const cluster = new FakeCluster();
  const core = new TrackerCore({
    ...DEFAULT_TRACKER_CONFIG,
    nowMs: () => 0,
    random: seededRandom(3),
    newPeerProbationMs: 0,
    cluster,
  });
  cluster.delivery = core;
  const announce = (connection: FakeConnection, peer: string, extra: Record<string, unknown> = {}): void =>
    core.handle(
      JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId(peer), numwant: 5, ...extra }),
      connection,
    );
  // A peer here whose claim was accepted, with its messages cleared.
  const bystander = new FakeConnection();
  announce(bystander, 'bystander');
  cluster.claims.shift()?.answer('accepted');
  bystander.take();
  return { cluster, core, announce, bystander };
}

const offersIn = (messages: Record<string, unknown>[]) => messages.filter((message) => 'offer' in message);

describe('tracker core in a cluster: the offers of a peer new on this node wait for the store to accept its id', () => {
  it('delivers them only once the claim is accepted, and a confirmed peer’s later offers at once', () => {
    const { cluster, announce, bystander } = setUp();
    const newcomer = new FakeConnection();
    announce(newcomer, 'newcomer', { offers: [offer(1)] });
    assert.equal(newcomer.take().length, 1, 'the announce is answered at once');
    assert.deepEqual(offersIn(bystander.take()), [], 'held while the store has not answered');
    cluster.claims.shift()?.answer('accepted');
    assert.deepEqual(
      offersIn(bystander.take()).map((message) => [message['peer_id'], message['offer_id']]),
      [[wireId('newcomer'), offer(1).offer_id]],
    );
    announce(newcomer, 'newcomer', { offers: [offer(2)] });
    assert.equal(offersIn(bystander.take()).length, 1, 'a confirmed peer is not held');
    assert.deepEqual(cluster.unheld, [wireId('newcomer')]);
  });

  it('drops them, counted, when another node’s peer holds the id, and refuses the claimant', () => {
    const { cluster, core, announce, bystander } = setUp();
    const copycat = new FakeConnection();
    announce(copycat, 'victim', { offers: [offer(1)] });
    // Announcing again before the store answered does not get around the wait.
    announce(copycat, 'victim', { offers: [offer(2)] });
    assert.equal(cluster.claims.length, 2);
    for (const claim of cluster.claims.splice(0)) claim.answer('taken');
    assert.deepEqual(offersIn(bystander.take()), []);
    assert.equal(core.stats().offersDroppedIdTaken, 2);
    assert.equal(copycat.take().at(-1)?.['failure reason'], 'peer_id is in use by another connection');
    assert.equal(core.stats().peers, 1);
  });

  it('gives a claimant no offer until its id is accepted: not from a peer here, not from another node', () => {
    const { cluster, core, announce, bystander } = setUp();
    const copycat = new FakeConnection();
    announce(copycat, 'victim');
    copycat.take();
    // The bystander offers while the copycat's claim is pending: nobody here may take it.
    announce(bystander, 'bystander', { offers: [offer(1)] });
    assert.deepEqual(offersIn(copycat.take()), [], 'no offer from a peer here');
    const fromAway = { offerId: offer(2).offer_id, offer: { type: 'offer' as const, sdp: 'v=0', sdpJson: '"v=0"' } };
    assert.equal(
      core.deliverOffer(HASH, wireId('victim'), wireId('remote'), fromAway),
      false,
      'none from another node',
    );
    assert.deepEqual(offersIn(copycat.take()), []);
    cluster.claims.shift()?.answer('accepted');
    // Accepted: it is a peer like any other.
    announce(bystander, 'bystander', { offers: [offer(3)] });
    assert.equal(offersIn(copycat.take()).length, 1);
    assert.equal(core.deliverOffer(HASH, wireId('victim'), wireId('remote'), fromAway), true);
  });

  it('judges a newcomer’s targets when its own claim is answered: one that joined a moment before is not passed over', () => {
    const { cluster, announce } = setUp();
    const first = new FakeConnection();
    announce(first, 'first');
    first.take();
    // The second newcomer offers while the first one's claim is still pending; the store answers the
    // claims in order (one ordered connection): the first one's, then the second one's.
    const second = new FakeConnection();
    // Two offers, two others here (the bystander and the first): one each.
    announce(second, 'second', { offers: [offer(1), offer(2)] });
    assert.deepEqual(
      cluster.claims.map((claim) => claim.peerId),
      [wireId('first'), wireId('second')],
    );
    for (const claim of cluster.claims.splice(0)) claim.answer('accepted');
    assert.equal(offersIn(first.take()).length, 1, 'the first newcomer, accepted by then, gets an offer');
  });

  it('passes over a target whose claim is still pending when the offerer’s claim is answered', () => {
    const { cluster, announce, bystander } = setUp();
    const copycat = new FakeConnection();
    announce(copycat, 'victim');
    copycat.take();
    const newcomer = new FakeConnection();
    // Two offers, two others here (the bystander and the copycat): one each, were both accepted.
    announce(newcomer, 'newcomer', { offers: [offer(1), offer(2)] });
    // The newcomer's claim is answered first (a store that answered out of order): the copycat is
    // still unconfirmed then and gets nothing.
    const [copycatClaim, newcomerClaim] = cluster.claims.splice(0);
    newcomerClaim?.answer('accepted');
    assert.deepEqual(offersIn(copycat.take()), []);
    assert.equal(offersIn(bystander.take()).length, 1, 'the bystander gets its offer');
    copycatClaim?.answer('taken');
    assert.deepEqual(offersIn(copycat.take()), []);
  });

  it('delivers nothing when the claimant left before the store answered', () => {
    const { cluster, core, announce, bystander } = setUp();
    const brief = new FakeConnection();
    announce(brief, 'brief', { offers: [offer(1)] });
    core.disconnect(brief);
    cluster.claims.shift()?.answer('accepted');
    assert.deepEqual(offersIn(bystander.take()), []);
  });
});
