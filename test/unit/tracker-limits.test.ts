import assert from 'node:assert/strict';
import { seededRandom } from '../../bench/seeded-random.ts';
import { SwarmAccess } from '../../tracker/access.ts';
import { DEFAULT_TRACKER_CONFIG } from '../../tracker/config.ts';
import { TrackerCore, type TrackerCoreOptions } from '../../tracker/core.ts';
import { createLogger } from '../../tracker/log.ts';
import { ConnectionRateLimiter } from '../../tracker/rate-limit.ts';
import { mintSwarmToken } from '../../tracker/token.ts';
import { FakeConnection, offer, wireId } from '../helpers/fake-connection.ts';

const SWARM = wireId('limited-swarm');
const OTHER = wireId('other-swarm');
const SECRET = 'core-limits-secret-123';
const START_SECONDS = 1_900_000_000;

interface Clocks {
  nowMs: number;
  nowUnixMs: number;
}

function makeCore(clocks: Clocks, overrides: Partial<TrackerCoreOptions> = {}): TrackerCore {
  return new TrackerCore({
    ...DEFAULT_TRACKER_CONFIG,
    nowMs: () => clocks.nowMs,
    random: seededRandom(5),
    ...overrides,
  });
}

function announce(
  core: TrackerCore,
  connection: FakeConnection,
  peer: string,
  extra: Record<string, unknown> = {},
  infoHash = SWARM,
): void {
  core.handle(JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: wireId(peer), ...extra }), connection);
}

describe('tracker core limits', () => {
  let clocks: Clocks;
  beforeEach(() => {
    clocks = { nowMs: 0, nowUnixMs: START_SECONDS * 1000 };
  });

  it('answers announces beyond the rate with a failure for that swarm, counted by reason, and serves again after refill', () => {
    const core = makeCore(clocks, {
      rateLimiter: new ConnectionRateLimiter({ ratePerSecond: 1, burst: 3, nowMs: () => clocks.nowMs }),
    });
    const a = new FakeConnection();
    for (let i = 0; i < 3; i++) announce(core, a, 'a');
    assert.ok(a.take().every((m) => m['failure reason'] === undefined));
    announce(core, a, 'a');
    core.handle(JSON.stringify({ action: 'scrape', info_hash: [SWARM] }), a);
    assert.deepEqual(a.take(), [
      { action: 'announce', 'failure reason': 'too many announces: slow down', info_hash: SWARM },
      { action: 'scrape', 'failure reason': 'too many announces: slow down' },
    ]);
    assert.deepEqual([core.stats().rejectedMessages, core.stats().rejectedByReason], [2, { 'rate-limited': 2 }]);
    const other = new FakeConnection();
    announce(core, other, 'b');
    assert.equal(other.take()[0]?.['incomplete'], 2, 'another connection has its own budget');
    clocks.nowMs += 1000;
    announce(core, a, 'a');
    assert.equal(a.take()[0]?.['failure reason'], undefined);
  });

  it("does not rate-limit answers, which follow other peers' offers", () => {
    const a = new FakeConnection();
    // Only a's budget is tight: one announce, then nothing for 1,000 s.
    const limiter = new ConnectionRateLimiter({ ratePerSecond: 0.001, burst: 1, nowMs: () => clocks.nowMs });
    const core = makeCore(clocks, {
      rateLimiter: { take: (connection) => connection !== a || limiter.take(connection) },
    });
    announce(core, a, 'a');
    const offerers = Array.from({ length: 3 }, () => new FakeConnection());
    // Each offerer joins and sends its offer while a is the only other member, then leaves.
    offerers.forEach((connection, i) => {
      announce(core, connection, `o${i}`, { numwant: 1, offers: [offer(i)] });
      announce(core, connection, `o${i}`, { event: 'stopped' });
    });
    assert.equal(a.take().filter((m) => m['offer'] !== undefined).length, 3);
    offerers.forEach((connection, i) => announce(core, connection, `o${i}`));
    announce(core, a, 'a');
    assert.equal(a.take()[0]?.['failure reason'], 'too many announces: slow down', 'a is over its rate');
    for (const [i] of offerers.entries()) {
      core.handle(
        JSON.stringify({
          action: 'announce',
          info_hash: SWARM,
          peer_id: wireId('a'),
          to_peer_id: wireId(`o${i}`),
          offer_id: wireId(`offer${i}`),
          answer: { type: 'answer', sdp: 'v=0' },
        }),
        a,
      );
    }
    assert.equal(core.stats().answersRelayed, 3);
  });

  it('relays no more offers than maxNumwant, whatever numwant asks for', () => {
    const core = makeCore(clocks, { maxNumwant: 2 });
    const others = Array.from({ length: 6 }, (_, i) => {
      const connection = new FakeConnection();
      announce(core, connection, `p${i}`);
      connection.take();
      return connection;
    });
    announce(core, new FakeConnection(), 'a', { numwant: 1_000_000, offers: [1, 2, 3, 4, 5].map(offer) });
    assert.equal(others.flatMap((c) => c.take()).length, 2);
    assert.equal(core.stats().offersRelayed, 2);
  });

  it('answers an announce with more offers than maxOffersPerAnnounce with a failure naming the cap', () => {
    const core = makeCore(clocks, { maxOffersPerAnnounce: 2 });
    const a = new FakeConnection();
    announce(core, a, 'a', { offers: [1, 2, 3].map(offer) });
    assert.deepEqual(a.take(), [
      { action: 'announce', 'failure reason': 'at most 2 offers per announce, got 3', info_hash: SWARM },
    ]);
    assert.deepEqual(core.stats().rejectedByReason, { 'too-many-offers': 1 });
    assert.equal(core.stats().peers, 0);
  });

  /** A core whose swarms need a token, and a token for SWARM valid for 60 s. */
  const gatedCore = (): { access: SwarmAccess; core: ReturnType<typeof makeCore>; token: string } => {
    const access = new SwarmAccess({
      allowedInfoHashes: [],
      swarmTokenSecret: SECRET,
      nowUnixMs: () => clocks.nowUnixMs,
    });
    const core = makeCore(clocks, { swarmGate: access });
    const token = mintSwarmToken({ secret: SECRET, infoHash: SWARM, expiresAtSeconds: START_SECONDS + 60 });
    return { access, core, token };
  };

  it('refuses swarms without a valid token, with the reason in the failure, and lets a member re-announce after its token expired', () => {
    const { access, core, token } = gatedCore();
    const member = new FakeConnection();
    access.register(member, `/?token=${token}`);
    announce(core, member, 'a');
    assert.equal(member.take()[0]?.['incomplete'], 1);

    announce(core, member, 'a2', {}, OTHER);
    assert.deepEqual(member.take(), [
      { action: 'announce', 'failure reason': 'no swarm token for this info_hash', info_hash: OTHER },
    ]);
    const stranger = new FakeConnection();
    access.register(stranger, '/');
    announce(core, stranger, 'b');
    assert.match(String(stranger.take()[0]?.['failure reason']), /swarm token required/);
    core.handle(JSON.stringify({ action: 'scrape', info_hash: [SWARM] }), stranger);
    assert.deepEqual(stranger.take()[0], {
      action: 'scrape',
      'failure reason': 'swarm token required: connect with ?token=<token> in the tracker URL',
      info_hash: SWARM,
    });

    clocks.nowUnixMs = (START_SECONDS + 61) * 1000;
    announce(core, member, 'a');
    assert.equal(member.take()[0]?.['failure reason'], undefined, 'a peer already in the swarm keeps announcing');
    const late = new FakeConnection();
    access.register(late, `/?token=${token}`);
    announce(core, late, 'c');
    assert.equal(late.take()[0]?.['failure reason'], 'swarm token expired: reconnect with a fresh token');
    assert.deepEqual(core.stats().rejectedByReason, { 'token-wrong-swarm': 1, 'token-missing': 2, 'token-expired': 1 });
    assert.deepEqual([core.stats().peers, core.stats().swarms], [1, 1]);
  });

  it('tells a connection without a token the counts of a swarm neither by scrape nor by a "stopped" announce', () => {
    const { access, core, token } = gatedCore();
    for (const name of ['a', 'b']) {
      const member = new FakeConnection();
      access.register(member, `/?token=${token}`);
      announce(core, member, name);
    }
    const stranger = new FakeConnection();
    access.register(stranger, '/');
    announce(core, stranger, 'x', { event: 'stopped' });
    assert.deepEqual(stranger.take(), [
      {
        action: 'announce',
        'failure reason': 'swarm token required: connect with ?token=<token> in the tracker URL',
        info_hash: SWARM,
      },
    ]);
    // Nor by stopping a member's peer id (copied from a relayed offer): that member stays.
    announce(core, stranger, 'a', { event: 'stopped' });
    assert.equal(stranger.take()[0]?.['incomplete'], undefined);
    assert.equal(core.stats().peers, 2);
  });

  it('logs rejections at debug only', () => {
    const lines: string[] = [];
    const quiet = makeCore(clocks, { logger: createLogger({ level: 'info', write: (line) => lines.push(line) }) });
    quiet.handle('not json', new FakeConnection());
    assert.equal(lines.length, 0);
    const verbose = makeCore(clocks, { logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }) });
    const a = new FakeConnection();
    verbose.handle('not json', a);
    announce(verbose, a, 'a');
    assert.equal(lines.length, 1, 'accepted announces are not logged');
    assert.deepEqual(JSON.parse(lines[0] as string), {
      ...JSON.parse(lines[0] as string),
      level: 'debug',
      message: 'message rejected',
      reason: 'not-json',
      connection: a.id,
    });
  });
});
