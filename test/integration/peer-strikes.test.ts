import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PeerClosedEvent } from '../../lib/api/events.ts';
import { BAN_AFTER_STRIKES, IGNORE_AFTER_STRIKES, IGNORE_BASE_MS } from '../../lib/policy/peer-strikes.ts';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import {
  forgingRelay,
  loadingLiar,
  requestFlood,
  restServer,
  staller,
  stopsMidway,
  trickler,
  type FloodReceipt,
} from '../helpers/hostile-behaviours.ts';
import { HostilePeer, type HostileBehaviour } from '../helpers/hostile-peer.ts';
import { httpRequests } from '../helpers/node-http-loader.ts';
import {
  connectedPeers,
  loopbackTrackerClients,
  startNodeViewer,
  whenAvailability,
  type NodeViewer,
} from '../helpers/node-viewer.ts';
import { CONNECTION_GUARD_MS } from '../helpers/node-webrtc.ts';
import { eventLogger, guarded, observedTrackerClients, waitFor } from '../helpers/wait-for.ts';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
const fixture = (n: number): Buffer => readFileSync(`${SAMPLE}180p/seg_${String(n).padStart(3, '0')}.ts`);
const ALL_SEGMENTS = Array.from({ length: 30 }, (_, i) => i);
// A hostile peer offers again this often while it has no connection (see `hostile` below), and a
// wait for its first connection allows for one failed attempt (a liveness guard, not a bound).
const HOSTILE_REANNOUNCE_MS = 25_000;
const RECONNECT_GUARD_MS = 2 * CONNECTION_GUARD_MS;

describe('broken promises cost the peer (Node WebRTC, real tracker and origin)', function () {
  // Liveness only: a first connection may need a second WebRTC attempt (RECONNECT_GUARD_MS).
  this.timeout(240_000);
  let origin: OriginServer;
  let tracker: RunningTracker;
  // The tracker's debug lines as events: it logs each connection it closed once it forgot its peer.
  const trackerLog = eventLogger('debug');
  const cleanup: { destroy(): void }[] = [];

  before(async () => {
    origin = await startOriginServer();
    tracker = await startTracker({ host: '127.0.0.1', port: 0 }, { logger: trackerLog.logger });
  });
  afterEach(() => {
    for (const item of cleanup.splice(0)) item.destroy();
  });
  after(async () => {
    await Promise.all([origin.close(), tracker.close()]);
  });

  const viewer = (...args: Parameters<typeof startNodeViewer> extends [unknown, unknown, ...infer R] ? R : never) => {
    const started = startNodeViewer(tracker.url, origin.url, ...args);
    cleanup.push(started);
    return started;
  };
  const hostile = (swarmId: string, behaviour: (peer: () => HostilePeer) => HostileBehaviour, peerId?: string) => {
    const peer: HostilePeer = new HostilePeer(
      tracker.url,
      swarmId,
      behaviour(() => peer),
      peerId,
    );
    cleanup.push(peer);
    // The viewer's tracker count predates a hostile that joins later, so only the hostile's own
    // offers reach it; should one WebRTC attempt fail, it offers again every HOSTILE_REANNOUNCE_MS
    // while unconnected, as a client that wants in would.
    peer.reannounceWhileUnconnected(HOSTILE_REANNOUNCE_MS);
    return peer;
  };
  /** The viewer is connected to `peerId` and heard its hello (ignored or not). */
  const hears = (v: NodeViewer, peerId: string, claimed: number) =>
    whenAvailability(
      v,
      () => v.engine.peers().some((p) => p.peerId === peerId && (p.swarms[0]?.segmentsAvailable ?? 0) >= claimed),
      RECONNECT_GUARD_MS,
    );
  // The tracker lets an id back in once the socket that held it is gone.
  const trackerForgot = (peersLeft: number) =>
    waitFor(
      trackerLog.log,
      ['line'],
      () => tracker.stats().peers <= peersLeft,
      'the tracker dropped the old connection',
      CONNECTION_GUARD_MS,
    );
  const closedOrGone = (v: NodeViewer, peerId: string) =>
    new Promise<void>((resolve) => v.engine.events.on('peer-closed', (event) => event.peerId === peerId && resolve()));
  const closedWith = (v: NodeViewer, peerId: string) =>
    new Promise<PeerClosedEvent>((resolve) =>
      v.engine.events.on('peer-closed', (event) => event.peerId === peerId && event.error !== null && resolve(event)),
    );

  it('a staller that reconnects under the same id costs at most three waits, then is not chosen during its back-off', async function () {
    this.timeout(IGNORE_AFTER_STRIKES * (RECONNECT_GUARD_MS + 2 * CONNECTION_GUARD_MS));
    const honest = viewer();
    let current = hostile(honest.swarmId, () => staller(ALL_SEGMENTS));
    const id = current.peerId;
    for (let sn = 1; sn <= IGNORE_AFTER_STRIKES; sn++) {
      await hears(honest, id, ALL_SEGMENTS.length);
      assert.deepEqual(honest.engine.decide(honest.swarmId, sn, sn * 2, 0), { kind: 'peer', peerId: id });
      assert.deepEqual(Buffer.from((await honest.load(sn)).data), fixture(sn), `segment ${sn} over HTTP`);
      if (sn === IGNORE_AFTER_STRIKES) break;
      // A new connection is a new link with nothing measured: only the session's strikes remember it.
      const gone = closedOrGone(honest, id);
      current.destroy();
      await guarded(gone, 'the staller closed on the viewer', CONNECTION_GUARD_MS);
      await trackerForgot(1);
      current = hostile(honest.swarmId, () => staller(ALL_SEGMENTS), id);
    }
    const stats = honest.engine.stats();
    assert.equal(stats.peerStrikes, IGNORE_AFTER_STRIKES);
    assert.equal(stats.peerFallbacks, IGNORE_AFTER_STRIKES, 'one wait lost per strike');
    for (let sn = IGNORE_AFTER_STRIKES + 1; sn <= 6; sn++) {
      assert.notEqual(honest.engine.decide(honest.swarmId, sn, sn * 2, 0).kind, 'peer');
      assert.deepEqual(Buffer.from((await honest.load(sn)).data), fixture(sn));
    }
    assert.equal(honest.engine.stats().peerFallbacks, IGNORE_AFTER_STRIKES, 'no wait lost once it is ignored');
    assert.ok(
      honest.engine.peers().some((p) => p.peerId === id),
      'still connected: it may download from us',
    );
  });

  it('a trickler (true headers, real bytes at 1 byte/s) costs one wait, then is measured too slow to be chosen', async () => {
    const honest = viewer();
    const slow = hostile(honest.swarmId, (peer) => trickler(peer, ALL_SEGMENTS, fixture));
    await hears(honest, slow.peerId, ALL_SEGMENTS.length);
    assert.deepEqual(honest.engine.decide(honest.swarmId, 1, 2, 0), { kind: 'peer', peerId: slow.peerId });
    // Its first bytes are the segment's own: the rest comes over HTTP (a Range resume or a refetch).
    assert.deepEqual(Buffer.from((await honest.load(1)).data), fixture(1));
    assert.equal(honest.engine.stats().peerFallbacks, 1);
    assert.ok(honest.engine.stats().peerStrikes >= 1, 'the broken promise counted against it');
    for (let sn = 2; sn <= 6; sn++) {
      honest.media.currentTime = sn * 2 - 2;
      assert.notEqual(honest.engine.decide(honest.swarmId, sn, sn * 2, 0).kind, 'peer', `segment ${sn}`);
      assert.deepEqual(Buffer.from((await honest.load(sn)).data), fixture(sn));
    }
    assert.equal(honest.engine.stats().peerFallbacks, 1, 'no wait lost after the first');
    assert.equal(honest.engine.stats().segmentsRejected, 0);
  });

  it('a relay passing on a forgery too slowly to finish: its bytes are resumed over a Range and fail the check: a strike, no ban (its source may be the forger); the segment comes whole over HTTP', async () => {
    const honest = viewer();
    const bans: string[] = [];
    honest.engine.events.on('peer-banned', (event) => bans.push(event.peerId));
    const forger = hostile(honest.swarmId, (peer) => forgingRelay(peer, ALL_SEGMENTS, fixture));
    const relayed = { kind: 'peer', peerId: forger.peerId, relay: true };
    // Its relay claims follow its hello.
    await whenAvailability(
      honest,
      () => isDeepStrictEqual(honest.engine.decide(honest.swarmId, 1, 2, 0), relayed),
      RECONNECT_GUARD_MS,
    );
    const asked = httpRequests.length;
    assert.deepEqual(Buffer.from((await honest.load(1)).data), fixture(1));
    assert.deepEqual(
      httpRequests.slice(asked).map(({ url, range }) => `${url.slice(url.lastIndexOf('/') + 1)} ${range ?? 'whole'}`),
      [`seg_001.ts bytes=${16 * 1024}-${fixture(1).byteLength - 1}`, 'seg_001.ts whole'],
      'the rest after the relayed bytes, then (the joined segment failing its hash) the whole segment',
    );
    assert.deepEqual(bans, [], 'the relay never vouched for the bytes: not banned for them');
    const stats = honest.engine.stats();
    assert.equal(stats.segmentsRejected, 0);
    assert.equal(stats.peerStrikes, 2, 'struck for its pace, and for bytes that failed the check');
    assert.ok(
      honest.engine.peers().some((p) => p.peerId === forger.peerId),
      'still connected',
    );
  });

  describe('a transfer cut midway goes on from another peer that has the segment', () => {
    // The first holder sends 16 KiB and stops; the second claims the segment once the first was asked.
    const cutThenRest = async (answer: 'rest' | 'forged' | 'busy', forgedFirst = false) => {
      const honest = viewer();
      const bans: string[] = [];
      honest.engine.events.on('peer-banned', (event) => bans.push(event.peerId));
      const server = restServer(fixture, answer);
      const second = hostile(honest.swarmId, () => server);
      const first = hostile(honest.swarmId, () =>
        stopsMidway(ALL_SEGMENTS, fixture, () => server.claim([1]), forgedFirst),
      );
      await hears(honest, first.peerId, ALL_SEGMENTS.length);
      await whenAvailability(
        honest,
        () => honest.engine.peers().some((p) => p.peerId === second.peerId),
        RECONNECT_GUARD_MS,
      );
      assert.deepEqual(honest.engine.decide(honest.swarmId, 1, 2, 0), { kind: 'peer', peerId: first.peerId });
      const asked = httpRequests.length;
      const data = Buffer.from((await honest.load(1)).data);
      const http = httpRequests
        .slice(asked)
        .map(({ url, range }) => `${url.slice(url.lastIndexOf('/') + 1)} ${range ?? 'whole'}`);
      return { honest, bans, data, http, asked: server.asked, first: first.peerId };
    };

    it('asks it for the rest only: the segment comes whole from the two peers, nothing from the origin', async () => {
      const run = await cutThenRest('rest');
      assert.deepEqual(run.data, fixture(1));
      assert.deepEqual(run.asked, [16 * 1024], 'the rest after the first peer’s bytes');
      assert.deepEqual(run.http, [], 'no origin request for the segment');
      const stats = run.honest.engine.stats();
      assert.equal(stats.peerFallbacks, 1, 'the first peer’s cut');
      assert.equal(stats.segmentsFromPeers, 1);
      assert.deepEqual(run.bans, []);
    });

    it('a forged rest fails the check: both peers struck (either may be the forger), none banned, the segment whole over HTTP', async () => {
      const run = await cutThenRest('forged');
      assert.deepEqual(run.data, fixture(1));
      assert.deepEqual(run.asked, [16 * 1024]);
      assert.deepEqual(run.http, ['seg_001.ts whole']);
      assert.deepEqual(run.bans, []);
      const stats = run.honest.engine.stats();
      assert.equal(stats.segmentsRejected, 0);
      assert.equal(stats.peerStrikes, 3, 'the first for its pace; both for bytes that failed the check');
    });

    it('a second peer that answers `busy` leaves the first peer’s bytes to a Range request, and answers for none of them', async () => {
      const run = await cutThenRest('busy', true);
      assert.deepEqual(run.data, fixture(1));
      assert.deepEqual(run.asked, [16 * 1024]);
      assert.deepEqual(run.http, [`seg_001.ts bytes=${16 * 1024}-${fixture(1).byteLength - 1}`, 'seg_001.ts whole']);
      assert.deepEqual(run.bans, [run.first], 'the forger that vouched for its bytes, not the busy one');
    });
  });

  it('a loading-liar (says it fetches every segment, never delivers one) is ignored after three waits, then dropped and banned', async () => {
    const clock = { offsetMs: 0 };
    // Its tracker client's peers as events: a banned id coming back is refused when it is introduced.
    const { factory, wire } = observedTrackerClients(loopbackTrackerClients);
    const honest = viewer({ seederWaitMs: 300 }, undefined, clock, factory);
    const closed = (id: string) => closedWith(honest, id);
    const liar = hostile(honest.swarmId, (peer) => loadingLiar(peer, ALL_SEGMENTS));
    const dropped = closed(liar.peerId);
    const bans: string[] = [];
    honest.engine.events.on('peer-banned', (event) => bans.push(event.peerId));
    await connectedPeers(honest.engine, 1);
    const waitsForLiar = (sn: number): boolean => {
      const decision = honest.engine.decide(honest.swarmId, sn, sn * 2, 0);
      return decision.kind === 'wait' && decision.reason === 'seeder';
    };
    // Its claims arrive with its hello (until then a new swarm waits for its first peers' hellos).
    await whenAvailability(honest, () => waitsForLiar(1), RECONNECT_GUARD_MS);
    let sn = 1;
    for (let strike = 1; strike <= BAN_AFTER_STRIKES; strike++, sn++) {
      // The player is 2 s before segment sn. Each wait for the liar's claim runs out; HTTP delivers.
      honest.media.currentTime = sn * 2 - 2;
      assert.ok(waitsForLiar(sn), `trusted before strike ${strike}`);
      assert.deepEqual(Buffer.from((await honest.load(sn)).data), fixture(sn));
      assert.equal(honest.engine.stats().peerStrikes, strike);
      if (strike >= IGNORE_AFTER_STRIKES && strike < BAN_AFTER_STRIKES) {
        // In its back-off its claims are not waited for; then it is trusted again, and strikes again.
        assert.equal(waitsForLiar(sn + 1), false, `ignored after strike ${strike}`);
        clock.offsetMs += IGNORE_BASE_MS * 2 ** (strike - IGNORE_AFTER_STRIKES);
        await whenAvailability(honest, () => waitsForLiar(sn + 1));
      }
    }
    const event = await guarded(dropped, 'the liar dropped', CONNECTION_GUARD_MS);
    assert.equal(event.error?.code, 'peer-unreliable');
    assert.deepEqual(bans, [liar.peerId]);
    assert.equal(honest.engine.stats().bannedPeers, 1);
    assert.equal(honest.engine.stats().segmentsRejected, 0, 'no segment was corrupt');
    // Back under the same id: refused.
    liar.destroy();
    await trackerForgot(1);
    hostile(honest.swarmId, (peer) => loadingLiar(peer, ALL_SEGMENTS), liar.peerId);
    await waitFor(
      wire,
      ['peer'],
      () => honest.engine.stats().bannedPeerRefusals > 0,
      'the banned id refused',
      CONNECTION_GUARD_MS,
    );
  });

  it('a request flood with the most requests in flight does not take an honest neighbour’s share of a capped upload', async () => {
    const seeder = viewer({ uploadMaxBytesPerSecond: 400_000 });
    // 30 segments, each served to one peer at most 3 times: 90 requests keep the flood going ~20 s.
    const wanted = ALL_SEGMENTS;
    for (const sn of wanted) {
      seeder.media.currentTime = sn * 2;
      await seeder.load(sn);
    }
    seeder.media.currentTime = 0;
    const receipt: FloodReceipt = { requests: 0, receivedBytes: 0 };
    // Every data frame the flood receives, as an event.
    const floodData = new EventEmitter();
    const flood = hostile(seeder.swarmId, (peer) => {
      const behaviour = requestFlood(peer, wanted, receipt);
      return {
        ...behaviour,
        onData: (requestId, bytes, channel, frame) => {
          behaviour.onData?.(requestId, bytes, channel, frame);
          floodData.emit('data');
        },
      };
    });
    await guarded(connectedPeers(seeder.engine, 1), 'the flood connected', RECONNECT_GUARD_MS);
    await waitFor(
      floodData,
      ['data'],
      () => receipt.receivedBytes > 100_000,
      'the flood is being served',
      CONNECTION_GUARD_MS,
    );
    const neighbour = viewer();
    // The neighbour's connection and the seeder's hello: a liveness guard as for any connection.
    await whenAvailability(
      neighbour,
      () => neighbour.engine.decide(neighbour.swarmId, 1, 2, 0).kind === 'peer',
      CONNECTION_GUARD_MS,
    );
    const floodBytesBefore = receipt.receivedBytes;
    for (let sn = 1; sn <= 6; sn++) assert.deepEqual(Buffer.from((await neighbour.load(sn)).data), fixture(sn));
    assert.ok(receipt.receivedBytes > floodBytesBefore, 'the flood was served meanwhile');
    const stats = neighbour.engine.stats();
    assert.ok(stats.segmentsFromPeers >= 5, `${stats.segmentsFromPeers} of 6 segments from the seeder`);
    assert.ok(
      seeder.engine.peers().some((p) => p.peerId === flood.peerId),
      'the flood kept within the limits (else it was simply disconnected)',
    );
  });
});
