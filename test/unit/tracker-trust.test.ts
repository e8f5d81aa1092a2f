import assert from 'node:assert/strict';
import { seededRandom } from '../../bench/seeded-random.ts';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';
import { NEW_PEER_PROBATION_MS, TrackerCore, type TrackerCoreOptions } from '../../tracker/core.ts';
import { ConnectionRateLimiter } from '../../tracker/rate-limit.ts';
import { RATE_BENCH_MS } from '../../tracker/rate-bench.ts';
import {
  MAX_RELAYED_OFFERS_PER_CONNECTION,
  RELAYED_OFFER_TTL_MS,
  RelayedOffers,
} from '../../tracker/relayed-offers.ts';
import { FakeConnection, offer, wireId } from '../helpers/fake-connection.ts';

const HASH = wireId('trust-swarm');

function makeCore(clock: { nowMs: number }, overrides: Partial<TrackerCoreOptions> = {}): TrackerCore {
  const nowMs = (): number => clock.nowMs;
  return new TrackerCore({
    ...DEFAULT_TRACKER_CONFIG,
    nowMs,
    random: seededRandom(17),
    // The default announce rate limit, as startTracker builds it.
    rateLimiter: new ConnectionRateLimiter({
      ratePerSecond: DEFAULT_TRACKER_CONFIG.announceRatePerSecond,
      burst: DEFAULT_TRACKER_CONFIG.announceBurst,
      nowMs,
    }),
    ...overrides,
  });
}

function announce(
  core: TrackerCore,
  connection: FakeConnection,
  peer: string,
  extra: Record<string, unknown> = {},
): void {
  core.handle(
    JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: wireId(peer), numwant: 5, ...extra }),
    connection,
  );
}

function answer(core: TrackerCore, connection: FakeConnection, from: string, to: string, offerId: string): void {
  core.handle(
    JSON.stringify({
      action: 'announce',
      info_hash: HASH,
      peer_id: wireId(from),
      to_peer_id: wireId(to),
      offer_id: offerId,
      answer: { type: 'answer', sdp: 'v=0 answer' },
    }),
    connection,
  );
}

const offersIn = (messages: Record<string, unknown>[]) => messages.filter((m) => m['offer'] !== undefined);
const answersIn = (messages: Record<string, unknown>[]) => messages.filter((m) => m['answer'] !== undefined);

describe('tracker trust: peer ids', () => {
  it('refuses a peer_id held by another open connection, and offers keep reaching the holder', () => {
    const clock = { nowMs: 0 };
    const core = makeCore(clock);
    const victim = new FakeConnection();
    const attacker = new FakeConnection();
    announce(core, victim, 'victim');
    victim.take();
    announce(core, attacker, 'victim');
    announce(core, attacker, 'victim', { event: 'stopped' });
    const [refusal] = attacker.take();
    assert.deepEqual(refusal, {
      action: 'announce',
      'failure reason': 'peer_id is in use by another connection',
      info_hash: HASH,
    });
    assert.equal(core.stats().rejectedByReason['peer-id-taken'], 1);
    assert.equal(core.stats().peers, 1, '"stopped" from the attacker does not remove the victim either');
    announce(core, new FakeConnection(), 'offerer', { offers: [offer(1)] });
    assert.equal(offersIn(victim.take()).length, 1, 'the offer reaches the victim');
    assert.deepEqual(offersIn(attacker.take()), []);
  });

  it('lets a reconnecting client back in once its old connection closed or its peer expired', () => {
    const clock = { nowMs: 0 };
    const core = makeCore(clock);
    const old = new FakeConnection();
    announce(core, old, 'viewer');
    const fresh = new FakeConnection();
    announce(core, fresh, 'viewer');
    assert.match(String(fresh.take()[0]?.['failure reason']), /in use/, 'refused while the old socket is open');
    core.disconnect(old); // its close event (or a missed heartbeat) ends the old socket
    announce(core, fresh, 'viewer');
    assert.deepEqual(fresh.take(), [
      { action: 'announce', interval: 120, info_hash: HASH, complete: 0, incomplete: 1 },
    ]);
    announce(core, new FakeConnection(), 'offerer', { offers: [offer(1)] });
    assert.equal(offersIn(fresh.take()).length, 1, 'offers now reach the new socket');

    // A connection that stays open but stopped announcing loses the id when its peer expires.
    const third = new FakeConnection();
    clock.nowMs += DEFAULT_TRACKER_CONFIG.peerTimeoutMs + 1;
    announce(core, new FakeConnection(), 'offerer');
    core.sweep();
    announce(core, third, 'viewer');
    assert.equal(third.take()[0]?.['failure reason'], undefined);
  });
});

describe('tracker trust: answers', () => {
  /** Offerer `o` on its own connection and answerer `a`, with one offer of o relayed to a. */
  function relayedPair() {
    const clock = { nowMs: 0 };
    const core = makeCore(clock);
    const a = new FakeConnection();
    const o = new FakeConnection();
    announce(core, a, 'a');
    announce(core, o, 'o', { offers: [offer(1)] });
    const [relayed] = offersIn(a.take());
    assert.ok(relayed !== undefined);
    o.take();
    return { clock, core, a, o, offerId: String(relayed['offer_id']) };
  }

  it('relays an answer to an offer the tracker relayed to the answerer, once', () => {
    const { core, a, o, offerId } = relayedPair();
    answer(core, a, 'a', 'o', offerId);
    answer(core, a, 'a', 'o', offerId);
    assert.equal(answersIn(o.take()).length, 1);
    assert.deepEqual(
      [core.stats().answersRelayed, core.stats().answersUnrelayed],
      [1, 1],
      'the replay is dropped and counted',
    );
  });

  it('drops answers for offers never relayed to the sender: made-up ids, another offerer, another connection', () => {
    const { core, a, o, offerId } = relayedPair();
    const member = new FakeConnection();
    announce(core, member, 'm');
    for (let i = 0; i < 50; i++) answer(core, a, 'a', 'o', wireId(`forged${i}`));
    answer(core, member, 'm', 'o', offerId); // the offer went to a, not to m
    announce(core, new FakeConnection(), 'x');
    answer(core, a, 'a', 'x', offerId); // right offer id, wrong offerer
    assert.deepEqual(answersIn(o.take()), []);
    assert.equal(core.stats().answersUnrelayed, 52);
    assert.equal(core.stats().answersRelayed, 0);
    answer(core, a, 'a', 'o', offerId);
    assert.equal(answersIn(o.take()).length, 1, 'the real answer still goes through');
  });

  it('drops an answer whose offerer left: a newcomer that took its peer id is not sent it', () => {
    const { clock, core, a, o, offerId } = relayedPair();
    core.disconnect(o);
    clock.nowMs += 1000;
    // Its peer id was in the relayed offer: anyone who was sent one can announce it once o is gone.
    const taker = new FakeConnection();
    announce(core, taker, 'o');
    taker.take();
    answer(core, a, 'a', 'o', offerId);
    assert.deepEqual(answersIn(taker.take()), []);
    assert.deepEqual([core.stats().answersRelayed, core.stats().answersUnrelayed], [0, 1]);
  });

  it('drops an answer that comes after the relayed offer expired', () => {
    const { clock, core, a, o, offerId } = relayedPair();
    clock.nowMs += RELAYED_OFFER_TTL_MS + 1;
    answer(core, a, 'a', 'o', offerId);
    assert.deepEqual(answersIn(o.take()), []);
    assert.equal(core.stats().answersExpired, 1);
  });

  it('remembers a bounded number of offers per connection, oldest forgotten first, and nothing after disconnect', () => {
    const memory = new RelayedOffers();
    const connection = new FakeConnection();
    for (let i = 0; i < MAX_RELAYED_OFFERS_PER_CONNECTION + 10; i++) memory.record(connection, `key${i}`, i);
    assert.equal(memory.heldBy(connection), MAX_RELAYED_OFFERS_PER_CONNECTION);
    assert.equal(memory.evicted, 10);
    assert.equal(memory.take(connection, 'key0', 1000), 'not-relayed', 'the oldest was forgotten');
    assert.equal(memory.take(connection, 'key10', 1000), null);
    memory.record(connection, 'late', RELAYED_OFFER_TTL_MS + 300);
    assert.equal(memory.heldBy(connection), 1, 'expired offers are pruned as new ones arrive');
    assert.equal(memory.expiredUnanswered, MAX_RELAYED_OFFERS_PER_CONNECTION - 1);
    memory.forget(connection);
    assert.equal(memory.heldBy(connection), 0);
  });
});

describe('tracker trust: introductions', () => {
  it('gives a new peer no offers during its probation while enough others can take them', () => {
    const clock = { nowMs: 0 };
    const core = makeCore(clock);
    const established = Array.from({ length: 6 }, (_, i) => {
      const connection = new FakeConnection();
      announce(core, connection, `e${i}`);
      return connection;
    });
    clock.nowMs = NEW_PEER_PROBATION_MS;
    const newcomer = new FakeConnection();
    announce(core, newcomer, 'new', { offers: [1, 2, 3].map(offer) });
    assert.equal(established.flatMap((c) => offersIn(c.take())).length, 3, 'its own offers go out at once');
    for (let i = 0; i < 20; i++)
      announce(core, established[i % 6] as FakeConnection, `e${i % 6}`, { offers: [offer(i)], numwant: 1 });
    assert.deepEqual(offersIn(newcomer.take()), [], 'while on probation it is not offered');
    assert.equal(core.stats().peersHeldBack, 1);
    clock.nowMs = 2 * NEW_PEER_PROBATION_MS;
    for (let i = 0; i < 40; i++)
      announce(core, established[i % 6] as FakeConnection, `e${i % 6}`, { offers: [offer(i)], numwant: 1 });
    assert.ok(offersIn(newcomer.take()).length > 0, 'after probation it is');
    assert.equal(core.stats().peersHeldBack, 0);
  });

  it('offers peers on probation when too few others can take the offers (a swarm that just started)', () => {
    const core = makeCore({ nowMs: 0 });
    const first = new FakeConnection();
    announce(core, first, 'first');
    announce(core, new FakeConnection(), 'second', { offers: [offer(1)] });
    assert.equal(offersIn(first.take()).length, 1);
  });

  it('benches a connection over the announce rate: no offers to it, none relayed from it, until it calms down', () => {
    const clock = { nowMs: 0 };
    const core = makeCore(clock, { newPeerProbationMs: 0 });
    const honest = Array.from({ length: 3 }, (_, i) => {
      const connection = new FakeConnection();
      announce(core, connection, `h${i}`);
      return connection;
    });
    const flooder = new FakeConnection();
    for (let i = 0; i <= DEFAULT_TRACKER_CONFIG.announceBurst; i++) announce(core, flooder, 'flood');
    assert.deepEqual([core.stats().connectionsBenched, core.stats().benchings, core.stats().peersHeldBack], [1, 1, 1]);
    flooder.take();
    for (let i = 0; i < 30; i++)
      announce(core, honest[i % 3] as FakeConnection, `h${i % 3}`, { offers: [offer(i)], numwant: 1 });
    assert.deepEqual(offersIn(flooder.take()), [], 'a benched peer gets no offers');
    for (const connection of honest) connection.take();
    clock.nowMs += 5_000; // one token back: an announce is accepted, but its offers are withheld
    announce(core, flooder, 'flood', { offers: [offer(1), offer(2)] });
    assert.equal(honest.flatMap((c) => offersIn(c.take())).length, 0);
    assert.equal(core.stats().offersWithheld, 2);
    clock.nowMs += RATE_BENCH_MS;
    announce(core, flooder, 'flood', { offers: [offer(3)] });
    assert.equal(honest.flatMap((c) => offersIn(c.take())).length, 1, 'released after a bench period without refusals');
    assert.deepEqual([core.stats().connectionsBenched, core.stats().peersHeldBack], [0, 0]);
  });

  it('offers a peer that joined a swarm while benched once its bench ended (a single tracker: no id claim to wait for)', () => {
    const clock = { nowMs: 0 };
    const core = makeCore(clock, { newPeerProbationMs: 0 });
    const other = wireId('other-swarm');
    const inOther = (connection: FakeConnection, peer: string, extra: Record<string, unknown> = {}): void =>
      core.handle(
        JSON.stringify({ action: 'announce', info_hash: other, peer_id: wireId(peer), numwant: 5, ...extra }),
        connection,
      );
    const honest = new FakeConnection();
    inOther(honest, 'h0');
    const flooder = new FakeConnection();
    for (let i = 0; i <= DEFAULT_TRACKER_CONFIG.announceBurst; i++) announce(core, flooder, 'flood');
    clock.nowMs += 5_000; // one token back: its first announce in the other swarm is accepted while benched
    inOther(flooder, 'flood');
    clock.nowMs += RATE_BENCH_MS;
    inOther(flooder, 'flood');
    flooder.take();
    inOther(honest, 'h0', { offers: [offer(1)], numwant: 1 });
    assert.equal(offersIn(flooder.take()).length, 1, 'released: it gets offers again');
  });

  it('offers no peer that announced again and again within a second while on probation, even as a fallback, until a quiet probation passed', () => {
    const clock = { nowMs: 0 };
    const core = makeCore(clock);
    const calm = new FakeConnection();
    const twice = new FakeConnection();
    const restless = new FakeConnection();
    announce(core, calm, 'calm');
    announce(core, twice, 'twice');
    announce(core, restless, 'restless');
    clock.nowMs = 300;
    // One quick re-announce is what an honest client may send (WebTorrent's seeder: `completed`,
    // then `started` with its offers); a second one is not.
    announce(core, twice, 'twice');
    announce(core, restless, 'restless');
    clock.nowMs = 500;
    announce(core, restless, 'restless');
    clock.nowMs = 2500;
    announce(core, calm, 'calm'); // two seconds later: an ordinary re-announce
    for (const connection of [calm, twice, restless]) connection.take();
    const offerer = new FakeConnection();
    announce(core, offerer, 'offerer', { offers: [offer(1), offer(2), offer(3)] });
    assert.equal(offersIn(calm.take()).length, 1, 'the calm newcomer is offered as a fallback');
    assert.equal(offersIn(twice.take()).length, 1, 'so is the one that announced twice at once');
    assert.deepEqual(offersIn(restless.take()), []);
    assert.equal(core.stats().probationRestarts, 1);
    clock.nowMs = 500 + NEW_PEER_PROBATION_MS;
    announce(core, offerer, 'offerer', { offers: [offer(4), offer(5), offer(6)] });
    assert.equal(offersIn(restless.take()).length, 1, 'offered again once its restarted probation ended');
  });
});
