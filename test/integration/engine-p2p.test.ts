import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LoaderStats } from 'hls.js';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import type { PeerCDNConfig } from '../../lib/api/config.ts';
import { PeerCDN } from '../../lib/peercdn.ts';
import { seederRank } from '../../lib/policy/source-decision.ts';
import type { TrackerClientFactory } from '../../lib/swarm/tracker-client.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { CorruptingHttpLoader, httpRequests, NodeHttpLoader } from '../helpers/node-http-loader.ts';
import { loadFragment, loopbackTrackerClients } from '../helpers/node-viewer.ts';
import { CONNECTION_GUARD_MS } from '../helpers/node-webrtc.ts';
import { fakePlayer } from '../helpers/fake-player.ts';
import { seriesValue } from '../helpers/prometheus-text.ts';
import { observedTrackerClients, waitFor } from '../helpers/wait-for.ts';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
// Node WebRTC on 127.0.0.1 (one tracker socket per viewer); every peer message a viewer handles
// is a `message` event on `wire`: waits re-check then.
const { factory: viewerClients, wire } = observedTrackerClients(loopbackTrackerClients);

interface Viewer {
  readonly peercdn: PeerCDN;
  load(sequenceNumber: number): Promise<{ data: ArrayBuffer; stats: LoaderStats }>;
}

describe('engines sharing segments over Node WebRTC through the real tracker', function () {
  this.timeout(90_000);
  let origin: OriginServer;
  let tracker: RunningTracker;
  const viewers: Viewer[] = [];

  before(async () => {
    origin = await startOriginServer();
    tracker = await startTracker({ host: '127.0.0.1', port: 0 });
  });
  // Each test's viewers leave with it, and each test has a swarm of its own: a viewer from an
  // earlier test must never be the peer a later test's viewer connects to.
  afterEach(() => {
    for (const viewer of viewers.splice(0)) viewer.peercdn.destroy();
  });
  after(async () => {
    await Promise.all([origin.close(), tracker.close()]);
  });

  const playlistUrl = (): string => `${origin.url}/vod/180p/index.m3u8`;

  function makeViewer(
    config: Partial<PeerCDNConfig> = {},
    media: HTMLMediaElement | null = null,
    httpLoader: typeof NodeHttpLoader = NodeHttpLoader,
    createTrackerClient: TrackerClientFactory = viewerClients,
  ): Viewer {
    const peercdn = new PeerCDN({ trackerUrls: [tracker.url], iceServers: [], ...config }, { createTrackerClient });
    // Join the rendition's swarm the way `attach(hls)` does when hls.js loads the playlist.
    peercdn.attach(fakePlayer(media, playlistUrl()));
    const Loader = peercdn.hlsConfig().fLoader;
    const load = (sequenceNumber: number) => loadFragment(Loader, origin.url, sequenceNumber, httpLoader);
    const viewer = { peercdn, load };
    viewers.push(viewer);
    return viewer;
  }

  /** Resolves once `viewer` is connected to every one of `others` (re-checked on peer-connected events). */
  const linkedTo = (viewer: Viewer, ...others: Viewer[]): Promise<void> =>
    waitFor(
      viewer.peercdn,
      ['peer-connected'],
      () => {
        const connected = new Set(viewer.peercdn.peers().map((p) => p.peerId));
        return others.every((other) => connected.has(other.peercdn.peerId));
      },
      `${viewer.peercdn.peerId} to connect to ${others.map((other) => other.peercdn.peerId).join(', ')}`,
      CONNECTION_GUARD_MS,
    ).catch((error: unknown) => {
      const connected = viewer.peercdn.peers().map((p) => p.peerId);
      throw new Error(`${String(error)}; connected to: ${connected.join(', ') || 'nobody'}`);
    });
  /** Resolves once `viewer` heard from `holder` that it has `sequenceNumber` (its latest). */
  const hears = (viewer: Viewer, holder: Viewer, sequenceNumber: number): Promise<void> =>
    waitFor(
      wire,
      ['message'],
      () =>
        viewer.peercdn
          .peers()
          .some(
            (p) =>
              p.peerId === holder.peercdn.peerId && p.swarms.some((s) => s.latestSequenceNumber === sequenceNumber),
          ),
      `a viewer to hear that its peer has segment ${sequenceNumber}`,
    );
  /** Every viewer connected to every other. */
  const allLinked = (...group: Viewer[]): Promise<unknown> =>
    Promise.all(group.map((viewer) => linkedTo(viewer, ...group.filter((other) => other !== viewer))));

  const fixture = (sequenceNumber: number): Buffer =>
    readFileSync(`${SAMPLE}180p/seg_${String(sequenceNumber).padStart(3, '0')}.ts`);

  it('serves a segment that three viewers want from the origin once', async () => {
    const shared = { swarmId: 'three-viewers' };
    const [a, b, c] = [makeViewer(shared), makeViewer(shared), makeViewer(shared)] as [Viewer, Viewer, Viewer];
    await allLinked(a, b, c);
    // Everyone announces activity at segment 4 (one origin fetch, two peer transfers)...
    await a.load(4);
    await Promise.all([hears(b, a, 4), hears(c, a, 4)]);
    await Promise.all([b.load(4), c.load(4)]);
    // Wait until every viewer has heard that both others are at segment 4.
    await waitFor(
      wire,
      ['message'],
      () =>
        [a, b, c].every(
          (v) => v.peercdn.peers().filter((p) => p.swarms.some((s) => s.latestSequenceNumber === 4)).length === 2,
        ),
      'every viewer to hear that both others are at segment 4',
    );
    // ...then all three want segment 5 at the same moment.
    const results = await Promise.all([a.load(5), b.load(5), c.load(5)]);
    for (const { data } of results) assert.deepEqual(Buffer.from(data), fixture(5));
    const counts = origin.counts();
    assert.equal(counts.byPath['/vod/180p/seg_004.ts'], fixture(4).byteLength, 'segment 4 left the origin once');
    assert.equal(counts.byPath['/vod/180p/seg_005.ts'], fixture(5).byteLength, 'segment 5 left the origin once');
    const p2pBytes = [a, b, c].reduce((sum, v) => sum + v.peercdn.stats().p2pBytes, 0);
    assert.equal(p2pBytes, 2 * (fixture(4).byteLength + fixture(5).byteLength));
  });

  it("tells peers and the tracker its region: peer bytes are counted by the sender's region", async () => {
    const swarmId = 'regions';
    const inRegion = (region: string) => ({ region, swarmId });
    const [a, b, c] = [
      makeViewer(inRegion('eu-west')),
      makeViewer(inRegion('eu-west')),
      makeViewer(inRegion('us-east.2')),
    ] as [Viewer, Viewer, Viewer];
    await allLinked(a, b, c);
    // Segments no other test loads (the origin's per-path counts are theirs).
    await a.load(12);
    await hears(c, a, 12);
    await c.load(12); // from a: the only one holding it
    await c.load(13);
    await hears(a, c, 13);
    await a.load(13); // from c
    await hears(b, a, 13);
    await b.load(13); // from a or c
    assert.deepEqual({ ...a.peercdn.stats().p2pBytesByRegion }, { 'us-east.2': fixture(13).byteLength });
    assert.deepEqual({ ...c.peercdn.stats().p2pBytesByRegion }, { 'eu-west': fixture(12).byteLength });
    const fromB = b.peercdn.stats();
    assert.equal(
      Object.values(fromB.p2pBytesByRegion).reduce((x, y) => x + y, 0),
      fromB.p2pBytes,
    );
    assert.equal(fromB.p2pBytes, fixture(13).byteLength);
    // The tracker read the hint from the URL: the offer between a and b went to the same region.
    const metrics = await (await fetch(`${tracker.url.replace('ws://', 'http://')}/metrics`)).text();
    assert.ok((seriesValue(metrics, 'peercdn_tracker_offers_relayed_same_region_total') ?? 0) >= 1, metrics);
  });

  it('makes the viewer that tells a faster uplink the seeder of a segment that its id alone would leave to the other', async () => {
    const swarmId = 'uplink-classes';
    // a's upload cap stands for its uplink (8 MB/s, ~160× this rendition's bitrate: class 2, told in its
    // `have`s once it knows the bitrate); b's uplink is unmeasured (class 0).
    const a = makeViewer({ swarmId, uploadMaxBytesPerSecond: 8_000_000 });
    const b = makeViewer({ swarmId });
    await allLinked(a, b);
    const [idA, idB] = [a.peercdn.peerId, b.peercdn.peerId];
    // A segment that b would seed by ids alone, and a once its class counts.
    // Segments 14-29: no other test here loads them (some count a segment's origin copies); the
    // fixture ends at 29. One of the 15 qualifies but with probability (17/32)^15 < 1e-4.
    const segments = [...Array(15).keys()].map((index) => index + 15);
    const sn = segments.find(
      (n) => seederRank(idB, n) < seederRank(idA, n) && seederRank(idA, n, 2) < seederRank(idB, n),
    );
    assert.ok(sn !== undefined, `no segment of the fixture for ids ${idA}, ${idB}`);
    // Both at this part of the stream, each having heard the other's `have` (a's with its class).
    await a.load(sn - 1);
    await hears(b, a, sn - 1);
    await b.load(sn - 1);
    await hears(a, b, sn - 1);
    const path = `/vod/180p/seg_${String(sn).padStart(3, '0')}.ts`;
    const originBefore = origin.counts().byPath[path] ?? 0;
    const [p2pA, p2pB] = [a.peercdn.stats().p2pBytes, b.peercdn.stats().p2pBytes];
    const results = await Promise.all([a.load(sn), b.load(sn)]);
    for (const { data } of results) assert.deepEqual(Buffer.from(data), fixture(sn));
    assert.equal((origin.counts().byPath[path] ?? 0) - originBefore, fixture(sn).byteLength, 'one origin copy');
    assert.equal(a.peercdn.stats().p2pBytes, p2pA, 'a fetched it from the origin');
    assert.equal(b.peercdn.stats().p2pBytes - p2pB, fixture(sn).byteLength, 'b got it from a');
  });

  /**
   * Segment 9 from a seeder that uploads slowly (the transfer is still running when it leaves) to a
   * receiver that waits for it (its playhead at 0 s puts 18 s beyond the HTTP window); the seeder
   * leaves once the receiver holds its first bytes. A dropped data channel may only show as
   * silence: the load deadline then triggers the resume. `beforeLoad` runs once the seeder has it.
   */
  async function resumeAfterSeederLeft(swarmId: string, beforeLoad = (): void => undefined): Promise<Viewer> {
    const seeder = makeViewer({ swarmId, uploadMaxBytesPerSecond: 16 * 1024 });
    const playhead = { readyState: 4, currentTime: 0, playbackRate: 1 } as HTMLMediaElement;
    const receiver = makeViewer({ swarmId, peerLoadTimeoutMs: 8000, peerFirstByteTimeoutMs: 6000 }, playhead);
    await allLinked(seeder, receiver);
    await seeder.load(9);
    beforeLoad();
    const loading = receiver.load(9);
    const fromSeeder = () =>
      receiver.peercdn.peers().find((p) => p.peerId === seeder.peercdn.peerId)?.receivedBytes ?? 0;
    await waitFor(wire, ['message'], () => fromSeeder() > 0, 'the seeder to start sending');
    seeder.peercdn.destroy();
    const { data } = await loading;
    assert.deepEqual(Buffer.from(data), fixture(9));
    return receiver;
  }

  it('finishes a transfer over HTTP with a Range request when the peer drops midway, with identical bytes', async () => {
    const receiver = await resumeAfterSeederLeft('range-resume');
    const stats = receiver.peercdn.stats();
    assert.ok(stats.p2pBytes > 0, 'some bytes came from the peer');
    assert.equal(stats.p2pBytes + stats.httpBytes, fixture(9).byteLength);
    const resume = httpRequests.find((r) => r.url.endsWith('/seg_009.ts') && r.range !== null);
    assert.deepEqual(resume?.range, `bytes=${stats.p2pBytes}-${fixture(9).byteLength - 1}`);
    assert.equal(stats.peerFallbacks, 1);
  });

  it('takes the whole segment from an origin that ignores the Range of a resume (200), asking for it only once', async () => {
    // An origin without Range support (python -m http.server, some proxies) answers the resume whole.
    const path = '/vod/180p/seg_009.ts';
    let originBefore = 0;
    let requestsBefore = 0;
    try {
      const receiver = await resumeAfterSeederLeft('range-ignored', () => {
        originBefore = origin.counts().byPath[path] ?? 0;
        requestsBefore = httpRequests.length;
        origin.setFaults({ ignoreRange: true });
      });
      const asked = httpRequests.slice(requestsBefore).filter((r) => r.url.endsWith(path));
      assert.equal(asked.length, 1, 'one HTTP request for the segment: the resume, answered whole');
      assert.ok(asked[0]?.range !== null, 'it asked for a range');
      const expectedBytes = fixture(9).byteLength;
      assert.equal((origin.counts().byPath[path] ?? 0) - originBefore, expectedBytes, 'one origin copy');
      const stats = receiver.peercdn.stats();
      assert.equal(stats.httpBytes, expectedBytes, 'the whole segment counted as HTTP bytes');
      assert.equal(stats.peerFallbacks, 1);
    } finally {
      origin.setFaults({});
    }
  });

  it('connects on a second try when the first connection fails: alone while the tracker counts others, it announces again', async () => {
    const swarmId = 'second-try';
    // The joiner's first connection attempt fails (as one whose ICE finds no path); both count their
    // announces outside the tracker's interval (two minutes: none would come within this test).
    let failed = false;
    let reannounces = 0;
    const counted =
      (factory: TrackerClientFactory): TrackerClientFactory =>
      (options) => {
        const client = factory(options);
        const reannounce = client.reannounce?.bind(client);
        return Object.assign(client, {
          reannounce: () => {
            reannounces += 1;
            reannounce?.();
          },
        });
      };
    const failingFirst: TrackerClientFactory = (options) => {
      const client = viewerClients(options);
      client.on('peer', (peer) => {
        if (failed) return;
        failed = true;
        peer.destroy();
      });
      return client;
    };
    const first = makeViewer({ swarmId }, null, NodeHttpLoader, counted(viewerClients));
    const joiner = makeViewer({ swarmId }, null, NodeHttpLoader, counted(failingFirst));
    await allLinked(first, joiner);
    assert.ok(failed, 'the first attempt was made to fail');
    assert.ok(reannounces >= 1, 'linked without announcing again');
  });

  it('holds its offers until the player appended its first segment: the tracker counts it meanwhile, then it connects', async () => {
    const swarmId = 'startup-offers';
    const metricsUrl = `${tracker.url.replace('ws://', 'http://')}/metrics`;
    const offersRelayed = async (): Promise<number> =>
      seriesValue(await (await fetch(metricsUrl)).text(), 'peercdn_tracker_offers_relayed_total') ?? 0;
    // Resolves with the tracker's count of others in a viewer's swarm at its first answer.
    const firstCount = (factory: TrackerClientFactory): { factory: TrackerClientFactory; others: Promise<number> } => {
      let settle: (others: number) => void = () => undefined;
      const others = new Promise<number>((resolve) => (settle = resolve));
      return {
        factory: (options) =>
          factory(options).on('update', (update) =>
            settle(update.complete + update.incomplete - 1),
          ) as ReturnType<TrackerClientFactory>,
        others,
      };
    };
    const firstAnswer = firstCount(viewerClients);
    const first = makeViewer({ swarmId }, null, NodeHttpLoader, firstAnswer.factory);
    await firstAnswer.others;
    const offersBefore = await offersRelayed();

    // The joiner's player is starting up (nothing appended yet: readyState 0).
    const media = { readyState: 0, currentTime: 0, playbackRate: 1 };
    const player = fakePlayer(media as HTMLMediaElement, playlistUrl());
    const joinerAnswer = firstCount(viewerClients);
    // How many offers the joiner's announces asked for (bittorrent-tracker's client reads its numwant
    // before each announce).
    let offersAskedFor = 0;
    const countingOffers: TrackerClientFactory = (options) =>
      joinerAnswer.factory({
        ...options,
        getAnnounceParameters: () => {
          const parameters = options.getAnnounceParameters();
          offersAskedFor += parameters.numwant;
          return parameters;
        },
      });
    const peercdn = new PeerCDN(
      { trackerUrls: [tracker.url], iceServers: [], swarmId },
      { createTrackerClient: countingOffers },
    );
    const joiner: Viewer = {
      peercdn,
      load: (sequenceNumber) => loadFragment(peercdn.hlsConfig().fLoader, origin.url, sequenceNumber),
    };
    viewers.push(joiner);
    peercdn.attach(player);
    assert.equal(await joinerAnswer.others, 1, 'the tracker counted the first viewer in one round trip');
    assert.equal(await offersRelayed(), offersBefore, 'no offer went out while the player was starting up');
    assert.equal(offersAskedFor, 0);

    // Its first segment comes (over HTTP, at once) and goes to the player, which transmuxes and
    // appends it meanwhile: the offers still wait.
    await joiner.load(0);
    assert.equal(offersAskedFor, 0, 'no offer asked for before the first segment was appended');

    // hls.js appended it (FRAG_BUFFERED): the held offers go out at once and the two connect.
    player.emit('hlsFragBuffered', { frag: { sn: 0, baseurl: playlistUrl(), type: 'main' } });
    assert.ok(offersAskedFor > 0, 'the held offers are asked for as the first segment is appended');
    await allLinked(first, joiner);
    assert.ok((await offersRelayed()) > offersBefore);
  });

  it('drops a peer that sends a corrupt segment and plays the segment from HTTP, intact', async () => {
    // The seeder's copy was damaged on its way in (its HTTP loader overwrites a packet's sync byte).
    const swarmId = 'corrupt-seeder';
    const seeder = makeViewer({ swarmId }, null, CorruptingHttpLoader);
    const receiver = makeViewer({ swarmId });
    const errors: string[] = [];
    receiver.peercdn.on('error', (error) => errors.push(error.code));
    await allLinked(seeder, receiver);
    // The receiver learns from the origin that this stream is MPEG-TS.
    await receiver.load(2);
    await seeder.load(7);
    await hears(receiver, seeder, 7);

    const { data } = await receiver.load(7);
    assert.deepEqual(Buffer.from(data), fixture(7));
    assert.deepEqual(errors, ['segment-corrupt']);
    assert.equal(receiver.peercdn.stats().p2pBytes, 0, 'no corrupt byte is counted as delivered');
    assert.equal(receiver.peercdn.stats().peerFallbacks, 1);
    assert.ok(
      !receiver.peercdn.peers().some((p) => p.peerId === seeder.peercdn.peerId),
      'the corrupt peer is still connected',
    );
    assert.equal(
      origin.counts().byPath['/vod/180p/seg_007.ts'],
      2 * fixture(7).byteLength,
      'once for the seeder, once for the receiver',
    );
  });
});
