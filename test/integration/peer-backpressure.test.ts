import assert from 'node:assert/strict';
import { PeerLink } from '../../lib/peer/peer-link.ts';
import { RECEIVE_BUDGET_BYTES } from '../../lib/peer/peer-limits.ts';
import { MAX_MESSAGE_BYTES } from '../../lib/peer/peer-protocol.ts';
import { UPLOAD_HIGH_WATER_BYTES } from '../../lib/peer/send-queue-limit.ts';
import { connectedPeerPair, type SimplePeer } from '../helpers/peer-pair.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Written at once until some of it waits in the queue: more than libdatachannel's SCTP send buffer
// (6 MB fitted into it once on a quiet machine, so the queue never showed), and a bound on the loop.
const MAX_QUEUED_MESSAGES = 1000;
const QUEUED_MESSAGE_BYTES = 60_000;

// The link's backpressure must read the property the real @thaunknown/simple-peer object has
// (`bufferSize`); a fake with a made-up property name let the uploads queue without bound.
describe('upload backpressure on a real simple-peer data channel (node-datachannel)', function () {
  this.timeout(60_000);
  const peers: SimplePeer[] = [];
  afterEach(() => {
    for (const peer of peers.splice(0)) peer.destroy();
  });

  it('the real peer object reports queued bytes as `bufferSize` (and has no `bufferedAmount`)', async () => {
    const [a, b] = await connectedPeerPair();
    peers.push(a, b);
    const real = a as unknown as Record<string, unknown>;
    assert.equal(typeof real['bufferSize'], 'number');
    assert.equal(real['bufferedAmount'], undefined);
    // libdatachannel hands what the SCTP window takes straight to the transport and drains the
    // rest from its own thread, so one read after the last write can already see an empty queue
    // (it did on busy CI machines, even read after every write). Read it after every write and at
    // every message the other side receives: megabytes take many turns to cross, and until the last
    // of them arrives some of it is still queued on the sender.
    let largestQueuedBytes = 0;
    let receivedBytes = 0;
    let sentBytes = 0;
    b.on('data', (chunk: Uint8Array) => {
      receivedBytes += chunk.byteLength;
      if (receivedBytes < sentBytes) largestQueuedBytes = Math.max(largestQueuedBytes, a.bufferSize);
    });
    for (let i = 0; i < MAX_QUEUED_MESSAGES && largestQueuedBytes === 0; i++) {
      a.send(new Uint8Array(QUEUED_MESSAGE_BYTES));
      sentBytes += QUEUED_MESSAGE_BYTES;
      largestQueuedBytes = Math.max(largestQueuedBytes, a.bufferSize);
    }
    // ...and falls back to nothing once every byte reached the other side.
    await waitFor(b, ['data'], () => receivedBytes === sentBytes, 'every queued byte arrives at the other peer');
    assert.ok(largestQueuedBytes > 0, 'bufferSize grows with what is queued');
    assert.equal(a.bufferSize, 0, 'bufferSize is 0 once everything was delivered');
  });

  it('never lets more than the high-water mark plus one message wait in the send queue while uploading 16 MiB', async () => {
    const [uploaderPeer, downloaderPeer] = await connectedPeerPair();
    peers.push(uploaderPeer, downloaderPeer);
    // The most a download may hold (the receive budget): 8 MiB once all fitted in libdatachannel's
    // SCTP send buffer (CI: the queue never formed, so nothing was measured).
    const segment = new Uint8Array(RECEIVE_BUDGET_BYTES).fill(3).buffer;
    let maxQueuedBytes = 0;
    const send = uploaderPeer.send.bind(uploaderPeer);
    uploaderPeer.send = (data: Uint8Array | string): void => {
      maxQueuedBytes = Math.max(maxQueuedBytes, uploaderPeer.bufferSize);
      send(data);
    };
    const common = {
      nowMs: () => performance.now(),
      onUploaded: () => undefined,
      onAvailabilityChanged: () => undefined,
      onClosed: () => undefined,
    };
    const uploader = new PeerLink({
      ...common,
      remotePeerId: 'downloader',
      peer: uploaderPeer,
      initialHave: [1],
      getSegment: (sn) => (sn === 1 ? segment : undefined),
    });
    const downloader = new PeerLink({
      ...common,
      remotePeerId: 'uploader',
      peer: downloaderPeer,
      initialHave: [],
      getSegment: () => undefined,
      segmentSizeBoundBytes: () => RECEIVE_BUDGET_BYTES,
    });
    try {
      const data = await downloader.downloads.start(1, () => undefined).promise;
      assert.equal(data.byteLength, segment.byteLength);
      assert.ok(maxQueuedBytes > 0, 'the queue was measured');
      assert.ok(
        maxQueuedBytes <= UPLOAD_HIGH_WATER_BYTES + MAX_MESSAGE_BYTES,
        `at most ${UPLOAD_HIGH_WATER_BYTES + MAX_MESSAGE_BYTES} bytes queued, saw ${maxQueuedBytes}`,
      );
    } finally {
      uploader.destroy();
      downloader.destroy();
    }
  });
});
