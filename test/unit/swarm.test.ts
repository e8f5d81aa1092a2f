import assert from 'node:assert/strict';
import { mock } from 'node:test';
import { P2PError } from '../../lib/api/errors.ts';
import { USELESS_AFTER_MS } from '../../lib/policy/peer-choice.ts';
import { encodeControl, PROTOCOL_VERSION } from '../../lib/peer/peer-protocol.ts';
import { PeerRecords } from '../../lib/swarm/peer-records.ts';
import { earlyAnnouncePeers, EARLY_REANNOUNCE_MS, Swarm } from '../../lib/swarm/swarm.ts';
import { MIN_SEGMENT_SIZE_BOUND_BYTES, ReceiveBudget } from '../../lib/peer/peer-limits.ts';
import type {
  AnnounceParameters,
  SignalledPeer,
  TrackerClient,
  TrackerClientOptions,
  TrackerUpdate,
} from '../../lib/swarm/tracker-client.ts';
import { FakeDataChannel } from '../helpers/fake-data-channel.ts';

const SWARM_ID = 'swarm-id-of-20-chars';
const hex = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

class FakeTrackerClient implements TrackerClient {
  readonly #peerListeners: ((peer: SignalledPeer) => void)[] = [];
  readonly #updateListeners: ((update: TrackerUpdate) => void)[] = [];
  destroyed = false;
  reannounces = 0;
  on(event: string, listener: (...args: never[]) => void): this {
    if (event === 'peer') this.#peerListeners.push(listener as (peer: SignalledPeer) => void);
    if (event === 'update') this.#updateListeners.push(listener as (update: TrackerUpdate) => void);
    return this;
  }
  /** A tracker answers an announce with its swarm counts. */
  update(update: TrackerUpdate): void {
    for (const listener of this.#updateListeners) listener(update);
  }
  start(): void {}
  reannounce(): void {
    this.reannounces += 1;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** A remote peer on offer; returns the local end of its (already connected) channel. */
  offer(remotePeerId: string, connect = true): FakeDataChannel {
    const [local] = FakeDataChannel.pair();
    local.id = hex(remotePeerId);
    for (const listener of this.#peerListeners) listener(local);
    if (connect && !local.destroyed) local.emit('connect');
    return local;
  }
}

function makeSwarm(
  maxPeers: number,
  held: readonly number[] = [],
  peerRecords = new PeerRecords(() => 0),
  region: string | null = null,
  offersHeld?: () => boolean,
) {
  const clock = { nowMs: 0 };
  const client = new FakeTrackerClient();
  let announce: (() => AnnounceParameters) | null = null;
  let acceptsOffer: ((remotePeerId: string) => boolean) | undefined;
  const closed: string[] = [];
  const availabilityChanges = { count: 0 };
  const struckOut: string[] = [];
  const swarm = new Swarm({
    swarmId: SWARM_ID,
    peerId: 'local-peer-id-20-chr',
    trackerUrls: ['ws://tracker.invalid'],
    iceServers: [],
    maxPeers,
    region,
    offersPerAnnounce: 5,
    connectTimeoutMs: 1_000,
    createTrackerClient: (options: TrackerClientOptions) => {
      announce = options.getAnnounceParameters;
      acceptsOffer = options.acceptsOffer;
      return client;
    },
    peerRecords,
    heldSequenceNumbers: () => held,
    getSegment: () => undefined,
    transferredBytes: () => ({ uploaded: 0, downloaded: 0 }),
    onUploaded: () => undefined,
    nowMs: () => clock.nowMs,
    uploadPacer: null,
    segmentSizeBoundBytes: () => MIN_SEGMENT_SIZE_BOUND_BYTES,
    receiveBudget: new ReceiveBudget(),
    onAvailabilityChanged: () => {
      availabilityChanges.count += 1;
    },
    onPeerConnected: () => undefined,
    onPeerClosed: (_swarmId, remotePeerId) => closed.push(remotePeerId),
    onStruckOut: (_swarmId, remotePeerId, error) => {
      struckOut.push(remotePeerId);
      swarm.ban(remotePeerId, error);
    },
    onError: (error) => assert.fail(error),
    ...(offersHeld === undefined ? {} : { offersHeld }),
  });
  const numwant = (): number => (announce as unknown as () => AnnounceParameters)().numwant;
  const accepts = (remotePeerId: string): boolean => {
    assert.ok(acceptsOffer, 'the swarm gives its tracker client an offer filter');
    return acceptsOffer(remotePeerId);
  };
  return { swarm, client, clock, closed, numwant, accepts, availabilityChanges, peerRecords, struckOut };
}

/** The remote end of a link announces segments (as its hello), and its region hint when given. */
function remoteAnnounces(local: FakeDataChannel, have: number[], region?: string): void {
  local.remote?.send(encodeControl({ type: 'hello', version: PROTOCOL_VERSION, have, region }));
  local.deliverOne();
}

describe('Swarm: connection cap and useless peers', () => {
  it('offers connections for free slots only, and one more at the cap only when a peer could be replaced', () => {
    const { swarm, client, clock, numwant } = makeSwarm(2);
    assert.equal(numwant(), 2);
    client.offer('peer-1');
    assert.equal(numwant(), 1);
    client.offer('peer-2');
    assert.equal(numwant(), 0);
    clock.nowMs += USELESS_AFTER_MS;
    assert.equal(numwant(), 1);
    swarm.destroy();
    assert.equal(client.destroyed, true);
  });

  it('replaces the peer that stayed useless longest when a new peer is on offer at the cap', () => {
    const { swarm, client, clock, closed } = makeSwarm(2);
    const first = client.offer('peer-1');
    clock.nowMs += 10_000;
    client.offer('peer-2');
    clock.nowMs += USELESS_AFTER_MS;
    const third = client.offer('peer-3');
    assert.equal(first.destroyed, true);
    assert.equal(third.destroyed, false);
    assert.deepEqual(closed, ['peer-1']);
    assert.deepEqual(
      swarm.peerInfos().map(([peerId]) => peerId),
      ['peer-2', 'peer-3'],
    );
    swarm.destroy();
  });

  it('replaces a peer that claims only segments far past ours and never sends: it holds no slot for good', () => {
    const { swarm, client, clock, closed } = makeSwarm(1, [10, 11]);
    remoteAnnounces(client.offer('squatter'), [1e15]);
    clock.nowMs += USELESS_AFTER_MS;
    client.offer('honest');
    assert.deepEqual(closed, ['squatter']);
    assert.deepEqual(
      swarm.peerInfos().map(([peerId]) => peerId),
      ['honest'],
    );
    swarm.destroy();
  });

  it('replaces a useless peer of another region before a longer-useless one of ours', () => {
    const { swarm, client, clock, closed } = makeSwarm(2, [], undefined, 'eu');
    remoteAnnounces(client.offer('near'), [], 'eu');
    clock.nowMs += 10_000;
    remoteAnnounces(client.offer('far'), [], 'us');
    clock.nowMs += USELESS_AFTER_MS;
    assert.equal(client.offer('newcomer').destroyed, false);
    assert.deepEqual(closed, ['far']);
    assert.deepEqual(
      swarm.peerInfos().map(([peerId]) => peerId),
      ['near', 'newcomer'],
    );
    swarm.destroy();
  });

  it('refuses a new peer at the cap while every connected peer is new or has what we lack', () => {
    const { swarm, client, clock, closed } = makeSwarm(2, [1, 2]);
    const useful = client.offer('peer-1');
    remoteAnnounces(useful, [1, 2, 3]);
    const caughtUp = client.offer('peer-2');
    remoteAnnounces(caughtUp, [1, 2]);
    clock.nowMs += USELESS_AFTER_MS - 1;
    assert.equal(client.offer('peer-3').destroyed, true, 'peer-2 has had too little time to prove useful');
    clock.nowMs += 1;
    assert.equal(client.offer('peer-4').destroyed, false, 'peer-2 has nothing we lack');
    assert.deepEqual(closed, ['peer-2']);
    assert.equal(client.offer('peer-5').destroyed, true, 'peer-1 has segment 3, which we lack; peer-4 is new');
    assert.equal(swarm.peerCount, 2);
    swarm.destroy();
  });

  it('keeps one connection attempt per peer id and direction: offers that never connect cannot fill every slot', () => {
    const { swarm, client, numwant } = makeSwarm(4);
    // One peer offers again and again (or a hostile one sends SDP it never follows up): each
    // unanswered attempt held a slot for the connect timeout, and at the cap everyone else was refused.
    const attempts = [1, 2, 3, 4].map(() => client.offer('restless-peer-20chr', false));
    assert.deepEqual(
      attempts.map((attempt) => attempt.destroyed),
      [true, true, true, false],
      'each new offer replaces the previous attempt',
    );
    assert.equal(numwant(), 3, 'one slot taken');
    assert.equal(client.offer('honest-peer-id-20chr').destroyed, false);
    assert.deepEqual(
      swarm.peerInfos().map(([peerId]) => peerId),
      ['honest-peer-id-20chr'],
    );
    swarm.destroy();
    assert.equal(attempts[3]?.destroyed, true);
  });

  it('shows measured RTT and throughput in its peer views (null until measured)', () => {
    const { swarm, client } = makeSwarm(2);
    const local = client.offer('peer-1');
    remoteAnnounces(local, [4]);
    const [view] = swarm.views(4);
    assert.equal(view?.has, true);
    assert.equal(view?.rttMs, null);
    assert.equal(view?.throughputBytesPerSecond, null);
    swarm.destroy();
  });
});

describe('Swarm: what the tracker and peers have said', () => {
  it('knows nobody else is watching only once a tracker says so, and tells waiting loaders', () => {
    const { swarm, client, availabilityChanges } = makeSwarm(4);
    assert.equal(swarm.othersAtTracker, null);
    client.update({ announce: 'ws://tracker.invalid', complete: 0, incomplete: 1 });
    assert.equal(swarm.othersAtTracker, 0);
    assert.equal(availabilityChanges.count, 1);
    client.update({ announce: 'ws://tracker.invalid', complete: 1, incomplete: 3 });
    assert.equal(swarm.othersAtTracker, 3);
  });

  it('takes the latest answer of each tracker and the largest over trackers', () => {
    const { swarm, client } = makeSwarm(4);
    client.update({ announce: 'ws://a.invalid', complete: 0, incomplete: 5 });
    client.update({ announce: 'ws://b.invalid', complete: 0, incomplete: 2 });
    assert.equal(swarm.othersAtTracker, 4);
    client.update({ announce: 'ws://a.invalid', complete: 0, incomplete: 1 });
    assert.equal(swarm.othersAtTracker, 1);
  });

  it('ignores an answer without numeric counts', () => {
    const { swarm, client } = makeSwarm(4);
    client.update({ complete: Number.NaN, incomplete: 1 });
    assert.equal(swarm.othersAtTracker, null);
  });

  it('leaves a connected peer out of decisions until its hello arrives', () => {
    const { swarm, client } = makeSwarm(4);
    const local = client.offer('remote-peer-id-20ch');
    assert.equal(swarm.peerCount, 1);
    assert.deepEqual(swarm.views(7), []);
    remoteAnnounces(local, [7]);
    const views = swarm.views(7);
    assert.equal(views.length, 1);
    assert.equal(views[0]?.has, true);
  });
});

describe('Swarm: offers held back during startup', () => {
  it('announces without offers while they are held, and once with them when released', () => {
    const startup = { held: true };
    const { swarm, client, numwant } = makeSwarm(4, [], undefined, null, () => startup.held);
    assert.equal(numwant(), 0, 'the first announce asks only for the count');
    swarm.releaseOffers();
    assert.equal(client.reannounces, 1);
    startup.held = false;
    assert.equal(numwant(), 4, 'the announce that follows carries the offers');
    swarm.releaseOffers();
    assert.equal(client.reannounces, 1, 'nothing held: no further announce');
  });

  it('announces nothing extra when no offer was held back, or after destroy', () => {
    const { swarm, client, numwant } = makeSwarm(4, [], undefined, null, () => false);
    assert.equal(numwant(), 4);
    swarm.releaseOffers();
    assert.equal(client.reannounces, 0);
    const held = makeSwarm(4, [], undefined, null, () => true);
    assert.equal(held.numwant(), 0);
    held.swarm.destroy();
    held.swarm.releaseOffers();
    assert.equal(held.client.reannounces, 0);
  });
});

describe('Swarm: offers per announce budgeted over time', () => {
  it('makes one round of offers however often it announces, and the next once the round has refilled (5 s)', () => {
    const { numwant, clock } = makeSwarm(12);
    // A tracker that makes the client announce again and again (a hostile interval, early re-announces).
    const offers = Array.from({ length: 20 }, () => numwant());
    assert.deepEqual(offers, [5, ...Array<number>(19).fill(0)]);
    clock.nowMs = 4_000;
    assert.equal(numwant(), 0, 'four fifths of a round refilled: not yet a whole one');
    clock.nowMs = 5_000;
    assert.equal(numwant(), 5);
    assert.equal(numwant(), 0);
  });
});

describe('Swarm: remote offers admitted before a connection is made for them', () => {
  it('admits offers while a slot is free, and at the cap only for a replaceable peer or one already connecting', () => {
    const { accepts, client, clock } = makeSwarm(2, [5]);
    assert.equal(accepts('peer-a-of-20-chars!!'), true);
    client.offer('peer-a-of-20-chars!!');
    assert.equal(accepts('peer-b-of-20-chars!!'), true);
    client.offer('peer-b-of-20-chars!!', false);
    clock.nowMs = 5_000; // the offer budget refilled
    assert.equal(accepts('peer-c-of-20-chars!!'), false, 'at the cap: a, useful so far, and b connecting');
    assert.equal(accepts('peer-b-of-20-chars!!'), true, "b's new offer replaces its attempt");
    clock.nowMs = 5_000 + USELESS_AFTER_MS;
    assert.equal(accepts('peer-c-of-20-chars!!'), true, 'a stayed useless: c may replace it');
  });

  it('refuses a banned peer (a refusal counted) and one after destroy', () => {
    const { accepts, swarm, peerRecords } = makeSwarm(4);
    peerRecords.ban('banned-peer-20-chars', 'sent a corrupt segment');
    assert.equal(accepts('banned-peer-20-chars'), false);
    assert.equal(peerRecords.refusals, 1);
    swarm.destroy();
    assert.equal(accepts('peer-a-of-20-chars!!'), false);
  });

  it('admits at most maxPeers offers per 5 s, whoever sends them', () => {
    const { accepts, clock } = makeSwarm(4);
    const admitted = Array.from({ length: 10 }, () => accepts('peer-a-of-20-chars!!'));
    assert.deepEqual(admitted, [true, true, true, true, false, false, false, false, false, false]);
    // (slots stay free: these offers made no peer here)
    clock.nowMs = 1_250;
    assert.equal(accepts('peer-a-of-20-chars!!'), true, 'one more per 5 s / maxPeers');
    assert.equal(accepts('peer-a-of-20-chars!!'), false);
  });
});

describe('Swarm: banned peers', () => {
  it('closes a banned peer and refuses its id when it connects again, in this and in a later swarm', () => {
    const records = new PeerRecords(() => 0);
    const { swarm, client, closed } = makeSwarm(4, [], records);
    const hostile = client.offer('hostile-peer');
    client.offer('honest-peer');
    swarm.ban('hostile-peer', new P2PError('segment-corrupt', 'bad bytes'));
    assert.equal(hostile.destroyed, true);
    assert.deepEqual(closed, ['hostile-peer']);
    assert.equal(client.offer('hostile-peer').destroyed, true, 'the same id reconnecting is refused');
    assert.equal(records.get('hostile-peer').refusals, 1);
    assert.deepEqual(
      swarm.peerInfos().map(([peerId]) => peerId),
      ['honest-peer'],
    );
    // Another swarm of the same session (another rendition) shares the records.
    const other = makeSwarm(4, [], records);
    assert.equal(other.client.offer('hostile-peer').destroyed, true);
    assert.equal(other.client.offer('honest-peer').destroyed, false);
    swarm.destroy();
    other.swarm.destroy();
  });
});

describe('Swarm: strikes for broken promises', () => {
  // The peer claims segment 5, we ask for it, it answers `absent`: an unkept claim.
  const unkeptClaim = (swarm: Swarm, local: FakeDataChannel, requestId: number): void => {
    const download = swarm.link('liar-peer-id-20-chr')?.downloads.start(5, () => undefined);
    download?.promise.catch(() => undefined);
    local.remote?.send(encodeControl({ type: 'absent', requestId, sequenceNumber: 5 }));
    local.deliverAll();
  };

  it('ignores a peer after three broken promises, keeps that across its reconnect, and bans it at six', () => {
    const records = new PeerRecords(() => clock.nowMs);
    const { swarm, client, clock, struckOut, closed } = makeSwarm(4, [], records);
    let local = client.offer('liar-peer-id-20-chr');
    remoteAnnounces(local, [5]);
    for (let requestId = 1; requestId <= 3; requestId++) {
      assert.deepEqual(
        swarm.views(5).map((view) => view.peerId),
        ['liar-peer-id-20-chr'],
      );
      remoteAnnounces(local, [5]);
      unkeptClaim(swarm, local, requestId);
      clock.nowMs += 100;
    }
    assert.deepEqual(swarm.views(5), [], 'ignored for downloads during its back-off');
    assert.equal(swarm.peerCount, 1, 'still connected (it may download from us)');
    // It reconnects under the same id: the strikes and the back-off are still there.
    local.destroy();
    local = client.offer('liar-peer-id-20-chr');
    remoteAnnounces(local, [5]);
    assert.deepEqual(swarm.views(5), []);
    for (let requestId = 1; requestId <= 3; requestId++) {
      clock.nowMs = records.get('liar-peer-id-20-chr').strikes.ignoredUntilMs;
      assert.equal(swarm.views(5).length, 1, 'chosen again after the back-off');
      remoteAnnounces(local, [5]);
      unkeptClaim(swarm, local, requestId);
    }
    assert.deepEqual(struckOut, ['liar-peer-id-20-chr']);
    assert.equal(local.destroyed, true, 'dropped');
    assert.deepEqual(closed, ['liar-peer-id-20-chr', 'liar-peer-id-20-chr']);
    assert.equal(client.offer('liar-peer-id-20-chr').destroyed, true, 'and refused when it comes back');
    swarm.destroy();
  });
});

describe('Swarm: announcing again while short of peers', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('announces again when the tracker counts others but no connection came, backing off, and stops once a peer connects', () => {
    const { swarm, client } = makeSwarm(4);
    client.update({ complete: 0, incomplete: 2 });
    mock.timers.tick(EARLY_REANNOUNCE_MS - 1);
    assert.equal(client.reannounces, 0);
    mock.timers.tick(1);
    assert.equal(client.reannounces, 1);
    // The tracker answers the re-announce; still nobody: the next try waits twice as long.
    client.update({ complete: 0, incomplete: 2 });
    mock.timers.tick(2 * EARLY_REANNOUNCE_MS - 1);
    assert.equal(client.reannounces, 1);
    mock.timers.tick(1);
    assert.equal(client.reannounces, 2);
    client.offer('peer-1');
    client.update({ complete: 0, incomplete: 2 });
    mock.timers.tick(10 * EARLY_REANNOUNCE_MS);
    assert.equal(client.reannounces, 2, 'a connected swarm waits for the tracker interval');
    swarm.destroy();
  });

  it('does not announce again when the tracker counts nobody else, or while a connection is being made', () => {
    const { swarm, client } = makeSwarm(4);
    client.update({ complete: 0, incomplete: 1 }); // only this viewer
    mock.timers.tick(10 * EARLY_REANNOUNCE_MS);
    assert.equal(client.reannounces, 0);
    client.update({ complete: 1, incomplete: 1 });
    // An answer arrives just before the wait is over; its connection is still being made then.
    mock.timers.tick(EARLY_REANNOUNCE_MS - 500);
    client.offer('peer-1', false);
    mock.timers.tick(500);
    assert.equal(client.reannounces, 0, 'a connection under way');
    // It times out (connectTimeoutMs 1 s here): alone again, the swarm asks the tracker after the wait.
    mock.timers.tick(1_000);
    mock.timers.tick(EARLY_REANNOUNCE_MS - 1);
    assert.equal(client.reannounces, 0);
    mock.timers.tick(1);
    assert.equal(client.reannounces, 1);
    swarm.destroy();
  });

  it('announces again while fewer peers are connected than the tracker counts (up to half its cap), not beyond', () => {
    const { swarm, client } = makeSwarm(8);
    assert.equal(earlyAnnouncePeers(8), 4);
    client.update({ complete: 0, incomplete: 3 }); // two others
    client.offer('peer-1');
    // The other pair's connection never forms: one peer of two.
    mock.timers.tick(EARLY_REANNOUNCE_MS);
    assert.equal(client.reannounces, 1);
    client.offer('peer-2');
    mock.timers.tick(10 * EARLY_REANNOUNCE_MS);
    assert.equal(client.reannounces, 1, 'both others connected');
    // Many others at the tracker: half the cap connected is enough until the tracker's interval.
    client.update({ complete: 10, incomplete: 10 });
    mock.timers.tick(EARLY_REANNOUNCE_MS);
    assert.equal(client.reannounces, 2, 'two peers, fewer than 4');
    client.offer('peer-3');
    client.update({ complete: 10, incomplete: 10 });
    mock.timers.tick(EARLY_REANNOUNCE_MS);
    assert.equal(client.reannounces, 3, 'three peers, fewer than 4');
    client.offer('peer-4');
    client.update({ complete: 10, incomplete: 10 });
    mock.timers.tick(10 * EARLY_REANNOUNCE_MS);
    assert.equal(client.reannounces, 3);
    swarm.destroy();
  });

  it('announces again after its only peer left, from the first wait again, and never after destroy', () => {
    const { swarm, client } = makeSwarm(4);
    client.update({ complete: 1, incomplete: 1 });
    mock.timers.tick(EARLY_REANNOUNCE_MS);
    assert.equal(client.reannounces, 1);
    const link = client.offer('peer-1');
    link.destroy();
    link.emit('close');
    mock.timers.tick(EARLY_REANNOUNCE_MS);
    assert.equal(client.reannounces, 2, 'the wait starts over once a peer had connected');
    client.update({ complete: 1, incomplete: 1 });
    swarm.destroy();
    mock.timers.tick(10 * EARLY_REANNOUNCE_MS);
    assert.equal(client.reannounces, 2);
  });
});
