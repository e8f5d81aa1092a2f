import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import type { PeerMessage } from '../../lib/peer/peer-protocol.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { relayLiar } from '../helpers/hostile-behaviours.ts';
import { hello, HostilePeer, type WireChannel } from '../helpers/hostile-peer.ts';
import { FetchFragmentLoader } from '../../lib/hls/fetch-loader.ts';
import { connectedPeers, startNodeViewer, whenAvailability, type NodeViewer } from '../helpers/node-viewer.ts';

// Cut-through relay over real WebRTC (node-datachannel), a real tracker and origin: an honest
// viewer downloading a segment from one peer serves it to another while it arrives, holding back
// its last byte until it has checked the whole segment. Both other peers are scripted (test
// helpers speaking the wire protocol), so the test sees every frame in order.

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
const SEQUENCE_NUMBER = 3;
const segment = readFileSync(`${SAMPLE}180p/seg_${String(SEQUENCE_NUMBER).padStart(3, '0')}.ts`);
const HALF_BYTES = Math.floor(segment.byteLength / 2 / 188) * 188;
// A scripted peer offers again this often while it has no connection (one failed WebRTC attempt).
const REANNOUNCE_MS = 25_000;

/** A deferred: resolve it from a callback, await it in the test. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/** Answer `requestId` with the whole segment: its header, then 16-KiB chunks. */
function serveWhole(channel: WireChannel, requestId: number): void {
  channel.send({ type: 'response', requestId, sequenceNumber: SEQUENCE_NUMBER, byteLength: segment.byteLength });
  for (let offset = 0; offset < segment.byteLength; offset += 16 * 1024)
    channel.sendData(requestId, offset, segment.subarray(offset, offset + 16 * 1024));
}

/**
 * A holder of the segment that records each request for it in `requests` (shared by the holders of
 * a test): the first of them is answered `busy`, every later one served whole.
 */
function busyOnceHolder(requests: PeerMessage[]): ConstructorParameters<typeof HostilePeer>[2] {
  return {
    onConnect: (channel: WireChannel) => channel.send(hello([SEQUENCE_NUMBER])),
    onMessage: (message: PeerMessage, channel: WireChannel) => {
      if (message.type !== 'request' || message.sequenceNumber !== SEQUENCE_NUMBER) return;
      requests.push(message);
      if (requests.length === 1)
        channel.send({ type: 'absent', requestId: message.requestId, sequenceNumber: SEQUENCE_NUMBER, busy: true });
      else serveWhole(channel, message.requestId);
    },
  };
}

/** The scripted source: claims the segment, sends its first half at once and the rest on `release()`. */
function scriptedSource(failInstead = false) {
  const halfSent = signal();
  let pending: { channel: WireChannel; requestId: number } | null = null;
  return {
    halfSent: halfSent.promise,
    behaviour: {
      onConnect: (channel: WireChannel) => channel.send(hello([SEQUENCE_NUMBER])),
      onMessage: (message: PeerMessage, channel: WireChannel) => {
        if (message.type !== 'request' || message.sequenceNumber !== SEQUENCE_NUMBER || pending !== null) return;
        const { requestId } = message;
        channel.send({ type: 'response', requestId, sequenceNumber: SEQUENCE_NUMBER, byteLength: segment.byteLength });
        for (let offset = 0; offset < HALF_BYTES; offset += 16 * 1024)
          channel.sendData(requestId, offset, segment.subarray(offset, Math.min(offset + 16 * 1024, HALF_BYTES)));
        pending = { channel, requestId };
        halfSent.resolve();
      },
    },
    /** The rest of the segment, or (failing) `absent`: the source gave up after the header. */
    release(): void {
      if (pending === null) return;
      const { channel, requestId } = pending;
      if (failInstead) channel.send({ type: 'absent', requestId, sequenceNumber: SEQUENCE_NUMBER });
      else
        for (let offset = HALF_BYTES; offset < segment.byteLength; offset += 16 * 1024)
          channel.sendData(
            requestId,
            offset,
            segment.subarray(offset, Math.min(offset + 16 * 1024, segment.byteLength)),
          );
    },
  };
}

/**
 * An origin in front of the real one whose segment SEQUENCE_NUMBER sends its first half at once
 * (with its whole length declared) and the rest on `release()`, or cuts the connection instead.
 */
async function gatedOrigin(upstreamUrl: string) {
  const halfSent = signal();
  let held: ServerResponse | null = null;
  let requests = 0;
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path.endsWith(`/seg_${String(SEQUENCE_NUMBER).padStart(3, '0')}.ts`)) {
      requests += 1;
      response.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': segment.byteLength });
      response.write(segment.subarray(0, HALF_BYTES));
      held = response;
      halfSent.resolve();
      return;
    }
    fetch(`${upstreamUrl}${path}`)
      .then(async (upstream) => {
        response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? '' });
        response.end(Buffer.from(await upstream.arrayBuffer()));
      })
      .catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    halfSent: halfSent.promise,
    requests: () => requests,
    release(cut = false): void {
      if (cut) held?.destroy();
      else held?.end(segment.subarray(HALF_BYTES));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The scripted downstream: asks whoever says it relays the segment, and records what comes back. */
function scriptedDownstream() {
  const received = new Uint8Array(segment.byteLength);
  const state = { header: null as PeerMessage | null, absent: false, bytes: 0, relayClaims: 0 };
  const waiters = new Set<() => void>();
  const changed = (): void => {
    for (const wake of [...waiters]) wake();
  };
  const when = (ready: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (!ready()) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return {
    received,
    state,
    when,
    behaviour: {
      onConnect: (channel: WireChannel) => channel.send(hello([])),
      onMessage: (message: PeerMessage, channel: WireChannel) => {
        if (message.type === 'loading' && message.relay === true && message.sequenceNumbers.includes(SEQUENCE_NUMBER)) {
          state.relayClaims += 1;
          if (state.relayClaims === 1) channel.send({ type: 'request', requestId: 1, sequenceNumber: SEQUENCE_NUMBER });
        } else if (message.type === 'response' && message.requestId === 1) state.header = message;
        else if (message.type === 'absent' && message.requestId === 1) state.absent = true;
        changed();
      },
      onData: (
        requestId: number,
        bytes: number,
        _channel: WireChannel,
        frame: { byteOffset: number; payload: Uint8Array },
      ) => {
        if (requestId !== 1) return;
        received.set(frame.payload, frame.byteOffset);
        state.bytes += bytes;
        changed();
      },
    },
  };
}

/** The downstream got the header and the half its relay had so far, and nothing more. */
async function receivedHalfMidTransfer(downstream: ReturnType<typeof scriptedDownstream>): Promise<void> {
  await downstream.when(() => downstream.state.bytes >= HALF_BYTES);
  assert.deepEqual(downstream.state.header, {
    type: 'response',
    requestId: 1,
    sequenceNumber: SEQUENCE_NUMBER,
    byteLength: segment.byteLength,
  });
  assert.equal(downstream.state.bytes, HALF_BYTES, 'all the relay had so far, nothing more');
}

describe('relaying a segment while it arrives (Node WebRTC, real tracker and origin)', function () {
  this.timeout(120_000);
  let origin: OriginServer;
  // The same stream without hash manifests: a relay vouches for a segment once hls.js appended it.
  let originWithoutHashes: OriginServer;
  let tracker: RunningTracker;
  const cleanup: { destroy(): void }[] = [];

  before(async () => {
    origin = await startOriginServer();
    originWithoutHashes = await startOriginServer({ hashManifests: false });
    tracker = await startTracker({ host: '127.0.0.1', port: 0 });
  });
  afterEach(() => {
    for (const item of cleanup.splice(0)) item.destroy();
  });
  after(async () => {
    await Promise.all([origin.close(), originWithoutHashes.close(), tracker.close()]);
  });

  const scripted = (
    swarmId: string,
    behaviour: (peer: () => HostilePeer) => ConstructorParameters<typeof HostilePeer>[2],
  ): HostilePeer => {
    const peer: HostilePeer = new HostilePeer(
      tracker.url,
      swarmId,
      behaviour(() => peer),
    );
    cleanup.push(peer);
    peer.reannounceWhileUnconnected(REANNOUNCE_MS);
    return peer;
  };

  // The relay (an honest viewer) connected to the scripted source and the scripted downstream.
  async function relayBetween(
    source: ReturnType<typeof scriptedSource>,
    originUrl = origin.url,
  ): Promise<{
    relay: NodeViewer;
    downstream: ReturnType<typeof scriptedDownstream>;
  }> {
    const relay = startNodeViewer(tracker.url, originUrl, { peerLoadTimeoutMs: 60_000 });
    cleanup.push(relay);
    const downstream = scriptedDownstream();
    scripted(relay.swarmId, () => source.behaviour);
    scripted(relay.swarmId, () => downstream.behaviour);
    await connectedPeers(relay.engine, 2);
    await whenAvailability(relay, () => relay.engine.decide(relay.swarmId, SEQUENCE_NUMBER, 6, 0).kind === 'peer');
    return { relay, downstream };
  }

  it('serves the bytes as they arrive, the last one once the relay verified the segment by its hash', async () => {
    const source = scriptedSource();
    const { relay, downstream } = await relayBetween(source);
    const loaded = relay.load(SEQUENCE_NUMBER);
    await source.halfSent;
    // The source holds the rest back: whatever reaches the downstream now was relayed mid-transfer.
    await receivedHalfMidTransfer(downstream);
    source.release();
    const { data } = await loaded;
    assert.deepEqual(Buffer.from(data), segment);
    await downstream.when(() => downstream.state.bytes === segment.byteLength);
    assert.deepEqual(Buffer.from(downstream.received), segment);
    assert.equal(relay.engine.stats().segmentsVerified, 1);
    assert.equal(relay.engine.stats().uploadedBytes, segment.byteLength);
  });

  it('without a hash manifest, holds the last byte until hls.js appended the segment', async () => {
    const source = scriptedSource();
    const { relay, downstream } = await relayBetween(source, originWithoutHashes.url);
    const loaded = relay.load(SEQUENCE_NUMBER);
    await source.halfSent;
    await downstream.when(() => downstream.state.bytes >= HALF_BYTES);
    assert.equal(downstream.state.bytes, HALF_BYTES);
    source.release();
    const { data } = await loaded;
    assert.deepEqual(Buffer.from(data), segment);
    await downstream.when(() => downstream.state.bytes === segment.byteLength - 1);
    assert.equal(relay.engine.served.isUnconfirmed(relay.swarmId, SEQUENCE_NUMBER), true, 'not yet appended');
    // What the player does once it appended the segment (FRAG_BUFFERED).
    relay.engine.segmentBuffered(relay.swarmId, SEQUENCE_NUMBER);
    await downstream.when(() => downstream.state.bytes === segment.byteLength);
    assert.deepEqual(Buffer.from(downstream.received), segment);
    assert.equal(downstream.state.absent, false);
  });

  it('answers `absent` after the header when its own source fails, and plays the segment from HTTP', async () => {
    const source = scriptedSource(true);
    const { relay, downstream } = await relayBetween(source);
    const loaded = relay.load(SEQUENCE_NUMBER);
    await source.halfSent;
    await downstream.when(() => downstream.state.bytes >= HALF_BYTES);
    source.release();
    await downstream.when(() => downstream.state.absent);
    assert.equal(downstream.state.bytes, HALF_BYTES, 'no byte after the failure');
    const { data } = await loaded;
    assert.deepEqual(Buffer.from(data), segment, 'the relay itself played it from the origin');
    assert.equal(relay.engine.stats().p2pBytes, 0);
  });

  // The relay fetches the segment from the origin with the fetch loader peercdn uses in browsers.
  async function httpRelay(gated: Awaited<ReturnType<typeof gatedOrigin>>) {
    const relay = startNodeViewer(tracker.url, gated.url, {}, FetchFragmentLoader);
    cleanup.push(relay);
    relay.media.currentTime = SEQUENCE_NUMBER * 2 - 2;
    const downstream = scriptedDownstream();
    scripted(relay.swarmId, () => downstream.behaviour);
    await connectedPeers(relay.engine, 1);
    return { relay, downstream };
  }

  it('relays an HTTP download as it streams in, the last byte once the download succeeded', async () => {
    const gated = await gatedOrigin(origin.url);
    cleanup.push({ destroy: () => void gated.close() });
    const { relay, downstream } = await httpRelay(gated);
    const loaded = relay.load(SEQUENCE_NUMBER);
    await gated.halfSent;
    // The origin holds the rest back: whatever reaches the downstream now was relayed mid-download.
    await receivedHalfMidTransfer(downstream);
    gated.release();
    const { data } = await loaded;
    assert.deepEqual(Buffer.from(data), segment, 'the player gets the whole segment');
    await downstream.when(() => downstream.state.bytes === segment.byteLength);
    assert.deepEqual(Buffer.from(downstream.received), segment);
    assert.equal(gated.requests(), 1, 'the origin served it once');
    assert.equal(relay.engine.stats().uploadedBytes, segment.byteLength);
    assert.equal(relay.engine.stats().httpBytes, segment.byteLength);
  });

  it('answers `absent` after the header when its HTTP download is cut', async () => {
    const gated = await gatedOrigin(origin.url);
    cleanup.push({ destroy: () => void gated.close() });
    const { relay, downstream } = await httpRelay(gated);
    const failed = assert.rejects(relay.load(SEQUENCE_NUMBER), /load failed/);
    await gated.halfSent;
    await downstream.when(() => downstream.state.bytes >= HALF_BYTES);
    gated.release(true);
    await downstream.when(() => downstream.state.absent);
    assert.equal(downstream.state.bytes, HALF_BYTES, 'no byte after the failure');
    await failed;
    assert.equal(relay.engine.cache.has(relay.swarmId, SEQUENCE_NUMBER), false);
  });

  it('a holder that answers `absent` is followed by another decision: another peer serves the segment, not the origin', async () => {
    const viewer = startNodeViewer(tracker.url, origin.url);
    cleanup.push(viewer);
    viewer.media.currentTime = SEQUENCE_NUMBER * 2 - 2;
    // The first holder claims the segment and answers `absent` once told to.
    const asked = signal();
    let answerAbsent = (): void => undefined;
    scripted(viewer.swarmId, () => ({
      onConnect: (channel: WireChannel) => channel.send(hello([SEQUENCE_NUMBER])),
      onMessage: (message: PeerMessage, channel: WireChannel) => {
        if (message.type !== 'request' || message.sequenceNumber !== SEQUENCE_NUMBER) return;
        answerAbsent = () =>
          channel.send({ type: 'absent', requestId: message.requestId, sequenceNumber: SEQUENCE_NUMBER });
        asked.resolve();
      },
    }));
    // The second says it has the segment only once the first was asked, and serves it whole. (The
    // scripted peers also connect to each other: it tells every peer it is connected to, and a
    // connection that opens later — the viewer may replace one it made twice — hears it in the hello.)
    const channels: WireChannel[] = [];
    let announced = false;
    const announce = (): void => {
      announced = true;
      for (const channel of channels) channel.send({ type: 'have', sequenceNumbers: [SEQUENCE_NUMBER] });
    };
    const honest = scripted(viewer.swarmId, () => ({
      onConnect: (channel: WireChannel) => {
        channel.send(hello(announced ? [SEQUENCE_NUMBER] : []));
        channels.push(channel);
      },
      onMessage: (message: PeerMessage, channel: WireChannel) => {
        if (message.type !== 'request' || message.sequenceNumber !== SEQUENCE_NUMBER) return;
        serveWhole(channel, message.requestId);
      },
    }));
    await connectedPeers(viewer.engine, 2);
    await whenAvailability(viewer, () => viewer.engine.decide(viewer.swarmId, SEQUENCE_NUMBER, 6, 0).kind === 'peer');
    const loaded = viewer.load(SEQUENCE_NUMBER);
    await asked.promise;
    announce();
    await whenAvailability(
      viewer,
      () => viewer.engine.peerLink(viewer.swarmId, honest.peerId)?.view(SEQUENCE_NUMBER).has === true,
    );
    answerAbsent();
    const { data } = await loaded;
    assert.deepEqual(Buffer.from(data), segment);
    const stats = viewer.engine.stats();
    assert.equal(stats.p2pBytes, segment.byteLength, 'the whole segment came from the second peer');
    assert.equal(stats.httpBytes, 0, 'nothing from the origin');
    assert.equal(stats.peerFallbacks, 1, "the first holder's `absent`");
  });

  it('a holder whose uplink is full answers `busy`: no strike, and another holder serves the segment, not the origin', async () => {
    const viewer = startNodeViewer(tracker.url, origin.url);
    cleanup.push(viewer);
    viewer.media.currentTime = SEQUENCE_NUMBER * 2 - 2;
    // Two holders; whichever is asked first answers `busy`, the other serves the segment whole.
    const requests: PeerMessage[] = [];
    scripted(viewer.swarmId, () => busyOnceHolder(requests));
    scripted(viewer.swarmId, () => busyOnceHolder(requests));
    await connectedPeers(viewer.engine, 2);
    await whenAvailability(viewer, () =>
      viewer.engine.peers().every((peer) => (peer.swarms[0]?.segmentsAvailable ?? 0) >= 1),
    );
    const { data } = await viewer.load(SEQUENCE_NUMBER);
    assert.deepEqual(Buffer.from(data), segment);
    assert.equal(requests.length, 2, 'the busy holder, then the other');
    for (const request of requests)
      assert.ok(
        request.type === 'request' && typeof request.neededInMs === 'number',
        'each request says how soon it is needed',
      );
    const stats = viewer.engine.stats();
    assert.equal(stats.p2pBytes, segment.byteLength, 'the whole segment came from the second holder');
    assert.equal(stats.httpBytes, 0, 'nothing from the origin');
    assert.equal(stats.peerStrikes, 0, 'a full uplink breaks no promise');
  });

  it('a lone holder that answers `busy` is waited for and asked again once its back-off ends: no origin bytes, no fallback', async () => {
    const viewer = startNodeViewer(tracker.url, origin.url);
    cleanup.push(viewer);
    // Needed in 10 s: time to wait out a one-second back-off.
    viewer.media.currentTime = SEQUENCE_NUMBER * 2 - 10;
    const requests: PeerMessage[] = [];
    const holder = scripted(viewer.swarmId, () => busyOnceHolder(requests));
    await connectedPeers(viewer.engine, 1);
    await whenAvailability(
      viewer,
      () => viewer.engine.peerLink(viewer.swarmId, holder.peerId)?.view(SEQUENCE_NUMBER).has === true,
    );
    const { data } = await viewer.load(SEQUENCE_NUMBER);
    assert.deepEqual(Buffer.from(data), segment);
    assert.equal(requests.length, 2, 'asked, refused, asked again');
    const stats = viewer.engine.stats();
    assert.equal(stats.httpBytes, 0, 'nothing from the origin');
    assert.equal(stats.p2pBytes, segment.byteLength);
    assert.deepEqual([stats.peerFallbacks, stats.peerStrikes], [0, 0], 'a full uplink is no failure');
  });

  it('an uploader under a cap answers the second of two requests at once `busy`: its uplink would deliver it late', async () => {
    // 16 KiB/s: the segment (93 kB) takes seconds to upload, more than the 1.5-s budget allows for
    // two at once. Whichever request comes first is admitted (nothing accepted yet); the pacer's
    // one-second burst hands only its first 16 KiB over at once, so the rest is still accepted and
    // unsent when the second request is judged (own 93 kB + the first's ~77 kB at 16 kB/s: ~10 s).
    const viewer = startNodeViewer(tracker.url, origin.url, { uploadMaxBytesPerSecond: 16_384 });
    cleanup.push(viewer);
    viewer.media.currentTime = SEQUENCE_NUMBER * 2 - 2;
    await viewer.load(SEQUENCE_NUMBER);
    // Two requesters ask for it at the same moment, once both heard that the viewer has it.
    const answers: PeerMessage[] = [];
    const answered = signal();
    const heard = new Set<WireChannel>();
    const requester = (): ConstructorParameters<typeof HostilePeer>[2] => ({
      onConnect: (channel: WireChannel) => channel.send(hello([])),
      onMessage: (message: PeerMessage, channel: WireChannel) => {
        const claims = message.type === 'hello' ? message.have : message.type === 'have' ? message.sequenceNumbers : [];
        if (claims.includes(SEQUENCE_NUMBER) && !heard.has(channel)) {
          heard.add(channel);
          if (heard.size === 2)
            for (const each of heard) each.send({ type: 'request', requestId: 1, sequenceNumber: SEQUENCE_NUMBER });
        }
        if ((message.type === 'response' || message.type === 'absent') && message.requestId === 1) {
          answers.push(message);
          if (answers.length === 2) answered.resolve();
        }
      },
    });
    scripted(viewer.swarmId, requester);
    scripted(viewer.swarmId, requester);
    await answered.promise;
    assert.deepEqual(answers.map((answer) => answer.type).sort(), ['absent', 'response'], 'one served, one refused');
    const refusal = answers.find((answer) => answer.type === 'absent');
    assert.equal(refusal?.type === 'absent' && refusal.busy, true, 'refused as busy, not as absent');
    const stats = viewer.engine.stats();
    assert.equal(stats.busyAnswers, 1);
    assert.ok(stats.uplinkBytesPerSecond !== null && stats.uplinkBytesPerSecond <= 16_384, 'the cap bounds the uplink');
  });

  it('a peer that says it relays every segment and never does is struck every second time, and every segment plays from HTTP', async () => {
    const honest = startNodeViewer(tracker.url, origin.url);
    cleanup.push(honest);
    const liar = scripted(honest.swarmId, (peer) =>
      relayLiar(
        peer,
        Array.from({ length: 30 }, (_, i) => i),
      ),
    );
    await connectedPeers(honest.engine, 1);
    const asksLiar = (sn: number): boolean => {
      const decision = honest.engine.decide(honest.swarmId, sn, sn * 2, 0);
      return decision.kind === 'peer' && decision.peerId === liar.peerId && decision.relay === true;
    };
    await whenAvailability(honest, () => asksLiar(1));
    for (let sn = 1; sn <= 4; sn++) {
      honest.media.currentTime = sn * 2 - 2;
      assert.ok(asksLiar(sn), `the liar is asked for ${sn}`);
      const { data } = await honest.load(sn);
      assert.deepEqual(Buffer.from(data), readFileSync(`${SAMPLE}180p/seg_${String(sn).padStart(3, '0')}.ts`));
      assert.equal(honest.engine.stats().peerStrikes, Math.floor(sn / 2), `strikes after ${sn} failed relays`);
    }
    assert.equal(honest.engine.stats().p2pBytes, 0);
    assert.equal(honest.engine.stats().segmentsRejected, 0, 'nothing corrupt was taken');
  });
});
