import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import { MAX_CHUNK_BYTES } from '../../lib/peer/peer-protocol.ts';
import { uploadChunkBytes } from '../../lib/peer/send-queue-limit.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { corruptSegment, type CorruptionMode } from '../helpers/corrupt-segment.ts';
import { startPoisoningPeer, type PoisoningPeer } from '../helpers/hostile-peer.ts';
import { httpRequests } from '../helpers/node-http-loader.ts';
import { loopbackTrackerClients, startPlayerViewer, type PlayerViewer } from '../helpers/node-viewer.ts';
import { CONNECTION_GUARD_MS } from '../helpers/node-webrtc.ts';
import { observedTrackerClients, waitFor } from '../helpers/wait-for.ts';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
const fixture = (n: number): Buffer => readFileSync(`${SAMPLE}180p/seg_${String(n).padStart(3, '0')}.ts`);
const original = (n: number): ArrayBuffer | undefined => {
  if (n < 0 || n >= 30) return undefined;
  return new Uint8Array(fixture(n)).buffer;
};
const ALL_SEGMENTS = Array.from({ length: 30 }, (_, i) => i);

describe('a hostile peer speaking our wire protocol (Node WebRTC, real tracker)', function () {
  this.timeout(120_000);
  // Every peer a viewer is signalled, connects or loses, and every message it handles, is an event
  // on `wire`: what a viewer knows about its peers changes only then.
  const { factory: viewerClients, wire } = observedTrackerClients(loopbackTrackerClients);
  const seen = (check: () => boolean, what: string): Promise<void> =>
    waitFor(wire, ['message', 'peer'], check, what, CONNECTION_GUARD_MS);
  let origin: OriginServer;
  let tracker: RunningTracker;
  const viewers: PlayerViewer[] = [];
  const hostiles: PoisoningPeer[] = [];

  const startOrigin = async (hashManifests: boolean) => {
    origin = await startOriginServer({ hashManifests });
    tracker = await startTracker({ host: '127.0.0.1', port: 0 });
  };
  afterEach(async () => {
    for (const viewer of viewers.splice(0)) viewer.peercdn.destroy();
    for (const hostile of hostiles.splice(0)) hostile.destroy();
    await Promise.all([origin.close(), tracker.close()]);
  });

  const viewer = (config = {}): PlayerViewer => {
    const started = startPlayerViewer(tracker.url, origin.url, config, null, viewerClients);
    viewers.push(started);
    return started;
  };
  const hostile = (
    peerId: string,
    mode: CorruptionMode,
    extra: Partial<Parameters<typeof startPoisoningPeer>[0]> = {},
  ): PoisoningPeer => {
    const started = startPoisoningPeer({
      peerId,
      mode,
      trackerUrl: tracker.url,
      playlistUrl: `${origin.url}/vod/180p/index.m3u8`,
      original,
      claimedSequenceNumbers: ALL_SEGMENTS,
      ...extra,
    });
    hostiles.push(started);
    return started;
  };
  /** Wait until the viewer heard every listed peer's availability (they claim every segment). */
  const hearsFrom = (v: PlayerViewer, peerIds: string[], claimed = 30) =>
    seen(
      () =>
        peerIds.every((id) =>
          v.peercdn.peers().some((p) => p.peerId === id && p.swarms[0]?.segmentsAvailable === claimed),
        ),
      `hello from ${peerIds.join(', ')}`,
    );
  const bansOf = (v: PlayerViewer): string[] => {
    const bans: string[] = [];
    v.peercdn.on('peer-banned', (event) => bans.push(event.peerId));
    return bans;
  };

  it('cold start with a manifest: flipped bytes, garbage payloads in valid TS packets and a cut at a packet boundary never reach the player; each sender is banned after one segment', async () => {
    await startOrigin(true);
    const honest = viewer();
    const bans = bansOf(honest);
    const flipper = hostile('-XX0001-flipflipflip', 'flip');
    const garbler = hostile('-XX0001-garbagegarba', 'garbage-payload');
    const cutter = hostile('-XX0001-truncatetrun', 'truncate');
    await hearsFrom(honest, ['-XX0001-flipflipflip', '-XX0001-garbagegarba', '-XX0001-truncatetrun']);
    // No HTTP segment before: the first segments the viewer wants go to the hostile peers.
    for (const n of [3, 4, 5]) assert.deepEqual(Buffer.from((await honest.load(n)).data), fixture(n), `segment ${n}`);
    assert.deepEqual(bans.sort(), ['-XX0001-flipflipflip', '-XX0001-garbagegarba', '-XX0001-truncatetrun']);
    assert.equal(flipper.served.length, 1, 'one bad segment from the flipper before its ban');
    assert.equal(garbler.served.length, 1, 'one bad segment from the garbler before its ban');
    assert.equal(cutter.served.length, 1, 'one bad segment from the cutter before its ban');
    const stats = honest.peercdn.stats();
    assert.equal(stats.segmentsRejected, 3);
    assert.equal(stats.bannedPeers, 3);
    assert.equal(stats.p2pBytes, 0, 'no corrupt byte counted as delivered');
    assert.deepEqual(honest.peercdn.peers(), [], 'both are disconnected');
  });

  it('cold start without a manifest: random bytes fail the structural check; after one HTTP segment, a garbage payload in valid packets fails the media-time check; flipped payload bytes are not shared until hls.js appends them, and a parse error bans the sender', async () => {
    await startOrigin(false);
    const honest = viewer();
    const other = viewer();
    const bans = bansOf(honest);
    const connected = (a: PlayerViewer, b: PlayerViewer) => () =>
      a.peercdn.peers().some((p) => p.peerId === b.peercdn.peerId);
    await seen(connected(honest, other), 'the honest viewers connected');
    await seen(connected(other, honest), 'the honest viewers connected');
    const noise = hostile('-XX0002-randomrandom', 'random');
    await hearsFrom(honest, ['-XX0002-randomrandom']);
    // No HTTP segment yet: the structural check alone rejects it.
    assert.deepEqual(Buffer.from((await honest.load(3)).data), fixture(3));
    assert.deepEqual(bans, ['-XX0002-randomrandom']);
    assert.deepEqual(noise.served, [3]);
    // Segment 3 came over HTTP and its timestamps covered its EXTINF: from now on a peer segment
    // whose timestamps do not is the sender's fault.
    const garbler = hostile('-XX0002-garbagegarba', 'garbage-payload', { claimedSequenceNumbers: [4] });
    await hearsFrom(honest, ['-XX0002-garbagegarba'], 1);
    assert.deepEqual(Buffer.from((await honest.load(4)).data), fixture(4));
    assert.deepEqual(bans, ['-XX0002-randomrandom', '-XX0002-garbagegarba']);
    assert.deepEqual(garbler.served, [4], 'one bad segment');
    // A few flipped payload bytes pass every check a viewer can make without hashes: hls.js
    // judges them. Until it has, the viewer keeps the segment to itself.
    const flipper = hostile('-XX0002-flipflipflip', 'flip', { claimedSequenceNumbers: [5] });
    await hearsFrom(honest, ['-XX0002-flipflipflip'], 1);
    assert.deepEqual(Buffer.from((await honest.load(5)).data), Buffer.from(corruptSegment(original(5)!, 'flip', 6)));
    assert.deepEqual(Buffer.from((await honest.load(6)).data), fixture(6));
    // Announcements travel in order on one channel: once segment 6's is in, 5 was not announced.
    const announcedByHonest = () =>
      other.peercdn.peers().find((p) => p.peerId === honest.peercdn.peerId)?.swarms[0]?.segmentsAvailable ?? -1;
    await seen(() => announcedByHonest() >= 3, 'segments 3, 4 and 6 announced');
    assert.equal(announcedByHonest(), 3, 'the unverified segment 5 was announced');
    // hls.js fails to parse it: the sender is banned, and hls.js's retry loads it over HTTP.
    honest.player.emit('hlsError', { details: 'fragParsingError', frag: honest.fragment(5) });
    assert.deepEqual(bans.slice(2), ['-XX0002-flipflipflip']);
    assert.deepEqual(Buffer.from((await honest.load(5)).data), fixture(5));
    assert.deepEqual(flipper.served, [5], 'not asked again');
    await seen(() => announcedByHonest() === 4, 'the refetched segment announced');
    // The honest viewer relays it; the receiver, too, shares it only after its player appended it.
    const otherBans = bansOf(other);
    assert.deepEqual(Buffer.from((await other.load(5)).data), fixture(5));
    assert.equal(other.peercdn.stats().p2pBytes, fixture(5).byteLength, 'from the honest viewer');
    const announcedByOther = () =>
      honest.peercdn.peers().find((p) => p.peerId === other.peercdn.peerId)?.swarms[0]?.segmentsAvailable ?? -1;
    assert.equal(announcedByOther(), 0);
    other.player.emit('hlsFragBuffered', { frag: other.fragment(5) });
    await seen(() => announcedByOther() === 1, 'announced after FRAG_BUFFERED');
    assert.deepEqual(otherBans, [], 'the honest relay is not banned');
  });

  it('a garbage prefix completed by an HTTP Range resume fails the hash check: the sender is banned and the segment comes whole over HTTP', async () => {
    await startOrigin(true);
    const honest = viewer({ peerFirstByteTimeoutMs: 1500, peerLoadTimeoutMs: 2500 });
    const bans = bansOf(honest);
    let chunks = 0;
    // One chunk at once (16 KiB, or a sixteenth of the segment if less), then silence: the
    // receiver's load deadline moves the rest to HTTP.
    const prefixBytes = Math.min(16 * 1024, uploadChunkBytes(fixture(7).byteLength, MAX_CHUNK_BYTES));
    const stalling = { chunkBytes: 16 * 1024, delayMs: () => (chunks++ === 0 ? 0 : 600_000), refund: () => undefined };
    hostile('-XX0003-prefixprefix', 'flip', { uploadPacer: stalling });
    await hearsFrom(honest, ['-XX0003-prefixprefix']);
    const { data } = await honest.load(7);
    assert.deepEqual(Buffer.from(data), fixture(7));
    assert.deepEqual(bans, ['-XX0003-prefixprefix']);
    const resume = httpRequests.find((r) => r.url.endsWith('/vod/180p/seg_007.ts') && r.range !== null);
    assert.equal(
      resume?.range,
      `bytes=${prefixBytes}-${fixture(7).byteLength - 1}`,
      'the rest was fetched with a Range request',
    );
    assert.equal(
      origin.counts().byPath['/vod/180p/seg_007.ts'],
      fixture(7).byteLength - prefixBytes + fixture(7).byteLength,
      'then the whole segment',
    );
    assert.equal(honest.peercdn.stats().segmentsRejected, 1);
  });

  it('without a manifest, a peer handing over another segment (valid packets, plausible timestamps) is caught by an origin spot check before the player, and banned; without spot checks it reaches the player', async () => {
    await startOrigin(false);
    const checking = viewer({ originSpotChecks: true });
    const trusting = viewer();
    const bans = [bansOf(checking), bansOf(trusting)];
    // Segment 9's bytes as segment 8: the same length of whole packets, timestamps spanning its EXTINF.
    const swapper = hostile('-XX0005-swapswapswap', 'intact', {
      original: (n) => original(n + 1),
      claimedSequenceNumbers: [8],
    });
    await hearsFrom(checking, ['-XX0005-swapswapswap'], 1);
    await hearsFrom(trusting, ['-XX0005-swapswapswap'], 1);
    const spotsBefore = httpRequests.filter((r) => r.url.endsWith('/vod/180p/seg_008.ts') && r.range !== null).length;
    assert.deepEqual(Buffer.from((await checking.load(8)).data), fixture(8));
    assert.deepEqual(bans[0], ['-XX0005-swapswapswap']);
    const spots = httpRequests.filter((r) => r.url.endsWith('/vod/180p/seg_008.ts') && r.range !== null);
    assert.equal(spots.length - spotsBefore, 1, 'one Range request for the sample');
    const [first, last] = (spots.at(-1)?.range ?? '').replace('bytes=', '').split('-').map(Number);
    assert.ok(last! - first! + 1 <= 1024, `a small window: ${spots.at(-1)?.range}`);
    // The viewer without spot checks plays the forgery: every check it can make passes.
    assert.deepEqual(Buffer.from((await trusting.load(8)).data), fixture(9));
    assert.deepEqual(bans[1], []);
    assert.deepEqual(swapper.served, [8]);
  });

  it('a banned peer that reconnects with the same id is refused, while another id gets in', async () => {
    await startOrigin(true);
    const honest = viewer();
    const id = '-XX0004-comebackcome';
    const first = hostile(id, 'flip');
    await hearsFrom(honest, [id]);
    assert.deepEqual(Buffer.from((await honest.load(2)).data), fixture(2));
    assert.equal(honest.peercdn.stats().bannedPeers, 1);
    first.destroy();
    // Back at once under the same id, on a new tracker socket and connection.
    hostile(id, 'flip');
    await seen(() => honest.peercdn.stats().bannedPeerRefusals > 0, 'a refused connection from the banned id');
    const newcomer = hostile('-XX0004-newcomernewc', 'flip');
    await hearsFrom(honest, ['-XX0004-newcomernewc']);
    assert.ok(!honest.peercdn.peers().some((p) => p.peerId === id), 'the banned id is not connected');
    assert.deepEqual(Buffer.from((await honest.load(3)).data), fixture(3));
    assert.equal(newcomer.served.length, 1);
    assert.equal(honest.peercdn.stats().bannedPeers, 2);
  });
});
