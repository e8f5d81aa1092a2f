import assert from 'node:assert/strict';
import { PeerDownloads } from '../../lib/peer/peer-downloads.ts';
import { MAX_DOWNLOADS_PER_PEER, MIN_SEGMENT_SIZE_BOUND_BYTES, ReceiveBudget } from '../../lib/peer/peer-limits.ts';
import { P2PError } from '../../lib/api/errors.ts';
import { MAX_CHUNK_BYTES, type PeerMessage } from '../../lib/peer/peer-protocol.ts';

const SEGMENT_BYTES = 32 * MAX_CHUNK_BYTES; // ~2 MB
const CHUNKS_BEFORE_CANCEL = 30;

/** One link's downloads on a shared budget; `requestIds` lists the ids of its requests in order. */
function downloadsOn(
  budget: ReceiveBudget,
  onFault: (error: P2PError) => void = (error) => assert.fail(error.message),
  onStrike?: () => void,
): { downloads: PeerDownloads; requestIds: number[] } {
  const requestIds: number[] = [];
  const downloads = new PeerDownloads({
    remotePeerId: 'peer',
    nowMs: () => 0,
    send: (message: PeerMessage) => {
      if (message.type === 'request') requestIds.push(message.requestId);
    },
    onDelivered: () => undefined,
    onFault,
    onStrike,
    receiveBudget: budget,
  });
  return { downloads, requestIds };
}

/** Start a download of `sn` and feed it `chunks` chunks of a SEGMENT_BYTES segment. */
function partlyReceived(
  link: ReturnType<typeof downloadsOn>,
  sn: number,
  chunks: number,
): ReturnType<PeerDownloads['start']> {
  const download = link.downloads.start(sn, () => undefined);
  download.promise.catch(() => undefined);
  const requestId = link.requestIds.at(-1) as number;
  link.downloads.onResponse(requestId, sn, SEGMENT_BYTES);
  for (let chunk = 0; chunk < chunks; chunk++)
    link.downloads.onData({
      requestId,
      byteOffset: chunk * MAX_CHUNK_BYTES,
      payload: new Uint8Array(MAX_CHUNK_BYTES),
    });
  return download;
}

describe('peer downloads and the shared receive budget', () => {
  it('gives a slow download’s bytes back once a Range resume took them, so later downloads are not refused', async () => {
    const budget = new ReceiveBudget();
    // Two links, four slow transfers each, each given up for its pace and resumed over HTTP.
    for (let peer = 0; peer < 2; peer++) {
      const link = downloadsOn(budget);
      for (let sn = 0; sn < 4; sn++) {
        const download = partlyReceived(link, sn, CHUNKS_BEFORE_CANCEL);
        download.cancel('too-slow');
        assert.equal(download.partial()?.bytes.byteLength, CHUNKS_BEFORE_CANCEL * MAX_CHUNK_BYTES);
        assert.equal(download.partial(), null, 'taken once');
      }
    }
    assert.equal(budget.usedBytes, 0, 'nothing held with nothing running');
    // A third link downloads a whole segment.
    const data = await partlyReceived(downloadsOn(budget), 99, 32).promise;
    assert.equal(data.byteLength, SEGMENT_BYTES);
  });

  it('holds nothing for a download cancelled by a seek or teardown (no resume follows)', () => {
    const budget = new ReceiveBudget();
    const download = partlyReceived(downloadsOn(budget), 1, CHUNKS_BEFORE_CANCEL);
    assert.equal(budget.usedBytes, CHUNKS_BEFORE_CANCEL * MAX_CHUNK_BYTES, 'a running download holds its bytes');
    download.cancel();
    assert.equal(budget.usedBytes, 0);
    assert.equal(download.partial(), null);
  });

  it('gives the budget back for a partial whose cancel struck its peer out (the ban closed the link)', () => {
    const budget = new ReceiveBudget();
    // The second strike bans the peer, which closes its connection at once, inside the cancel.
    let strikes = 0;
    const link: ReturnType<typeof downloadsOn> = downloadsOn(budget, undefined, () => {
      if (++strikes === 2) link.downloads.close(new P2PError('peer-unreliable', 'banned'));
    });
    partlyReceived(link, 0, 2).cancel('too-slow');
    // Three more downloads of the link run meanwhile: with them five partials, one over the four kept.
    for (let sn = 2; sn <= 4; sn++) partlyReceived(link, sn, 1);
    // Another link's running download holds 5 chunks: a count the ban must not touch.
    partlyReceived(downloadsOn(budget), 9, 5);
    const download = partlyReceived(link, 1, CHUNKS_BEFORE_CANCEL);
    download.cancel('too-slow');
    assert.equal(download.partial()?.bytes.byteLength, CHUNKS_BEFORE_CANCEL * MAX_CHUNK_BYTES, 'kept for the resume');
    assert.equal(budget.usedBytes, 5 * MAX_CHUNK_BYTES, 'nothing held for the closed link, nothing given back twice');
  });

  it('keeps a failed link’s partial for the resume without holding the budget', () => {
    const budget = new ReceiveBudget();
    const link = downloadsOn(budget);
    const download = partlyReceived(link, 1, CHUNKS_BEFORE_CANCEL);
    // Another link's running download holds 5 chunks meanwhile.
    partlyReceived(downloadsOn(budget), 2, 5);
    link.downloads.close(new P2PError('peer-error', 'closed'));
    assert.equal(budget.usedBytes, 5 * MAX_CHUNK_BYTES);
    assert.equal(download.partial()?.bytes.byteLength, CHUNKS_BEFORE_CANCEL * MAX_CHUNK_BYTES);
    assert.equal(budget.usedBytes, 5 * MAX_CHUNK_BYTES, 'not given back twice');
  });
});

describe('peer downloads: data frames for no running request', () => {
  function faultingLink(): { link: ReturnType<typeof downloadsOn>; faults: string[] } {
    const faults: string[] = [];
    return { link: downloadsOn(new ReceiveBudget(), (error) => faults.push(error.message)), faults };
  }

  it('faults the link on data for a request never made', () => {
    const { link, faults } = faultingLink();
    link.downloads.onData({ requestId: 7, byteOffset: 0, payload: new Uint8Array(1000) });
    assert.deepEqual(faults, ['peer peer sent data for no request']);
  });

  it('takes what a cancelled download had left in flight, and faults beyond it', () => {
    const { link, faults } = faultingLink();
    const download = partlyReceived(link, 1, CHUNKS_BEFORE_CANCEL);
    const requestId = link.requestIds.at(-1) as number;
    download.cancel();
    const leftBytes = SEGMENT_BYTES - CHUNKS_BEFORE_CANCEL * MAX_CHUNK_BYTES;
    for (let offset = 0; offset < leftBytes; offset += MAX_CHUNK_BYTES)
      link.downloads.onData({
        requestId,
        byteOffset: CHUNKS_BEFORE_CANCEL * MAX_CHUNK_BYTES + offset,
        payload: new Uint8Array(Math.min(MAX_CHUNK_BYTES, leftBytes - offset)),
      });
    assert.deepEqual(faults, [], 'the frames in flight at the cancel');
    link.downloads.onData({ requestId, byteOffset: SEGMENT_BYTES, payload: new Uint8Array(1) });
    assert.equal(faults.length, 1);
  });

  it('allows no more late bytes than a full set of downloads could still send, however many were cancelled', () => {
    const { link, faults } = faultingLink();
    // 100 downloads cancelled before their headers: each could have sent up to the size bound.
    for (let sn = 0; sn < 100; sn++) {
      const download = link.downloads.start(sn, () => undefined);
      download.promise.catch(() => undefined);
      download.cancel();
    }
    const capBytes = MAX_DOWNLOADS_PER_PEER * MIN_SEGMENT_SIZE_BOUND_BYTES;
    for (let offset = 0; offset < capBytes; offset += MAX_CHUNK_BYTES)
      link.downloads.onData({
        requestId: 1,
        byteOffset: offset,
        payload: new Uint8Array(Math.min(MAX_CHUNK_BYTES, capBytes - offset)),
      });
    assert.deepEqual(faults, [], 'up to the cap: frames in flight');
    link.downloads.onData({ requestId: 1, byteOffset: capBytes, payload: new Uint8Array(MAX_CHUNK_BYTES) });
    assert.equal(faults.length, 1, 'beyond it: a flood');
  });
});

describe('peer downloads going on from another peer’s bytes', () => {
  const PREFIX_BYTES = 3 * MAX_CHUNK_BYTES;
  const prefix = { bytes: new Uint8Array(PREFIX_BYTES).fill(7), totalBytes: SEGMENT_BYTES, vouched: true };

  function resumingLink(budget = new ReceiveBudget()) {
    const sent: PeerMessage[] = [];
    const faults: P2PError[] = [];
    const downloads = new PeerDownloads({
      remotePeerId: 'second',
      nowMs: () => 0,
      send: (message) => sent.push(message),
      onDelivered: () => undefined,
      onFault: (error) => faults.push(error),
      receiveBudget: budget,
    });
    const download = downloads.start(5, () => undefined, false, null, prefix);
    download.promise.catch(() => undefined);
    return { downloads, download, sent, faults, budget };
  }

  it('asks for the rest only, and resolves with the whole segment, holding only its own bytes of the budget', async () => {
    const { downloads, download, sent, budget } = resumingLink();
    assert.deepEqual(sent, [{ type: 'request', requestId: 1, sequenceNumber: 5, fromByte: PREFIX_BYTES }]);
    downloads.onResponse(1, 5, SEGMENT_BYTES);
    downloads.onData({ requestId: 1, byteOffset: PREFIX_BYTES, payload: new Uint8Array(MAX_CHUNK_BYTES).fill(9) });
    assert.equal(budget.usedBytes, MAX_CHUNK_BYTES, 'the first peer’s bytes are not this download’s');
    for (let offset = PREFIX_BYTES + MAX_CHUNK_BYTES; offset < SEGMENT_BYTES; offset += MAX_CHUNK_BYTES)
      downloads.onData({ requestId: 1, byteOffset: offset, payload: new Uint8Array(MAX_CHUNK_BYTES).fill(9) });
    const whole = new Uint8Array(await download.promise);
    assert.equal(whole.byteLength, SEGMENT_BYTES);
    assert.equal(whole[PREFIX_BYTES - 1], 7);
    assert.equal(whole[PREFIX_BYTES], 9);
    assert.equal(budget.usedBytes, 0);
    assert.equal(downloads.receivedBytes, SEGMENT_BYTES - PREFIX_BYTES);
  });

  it('faults a peer that sends the segment from its start instead of the rest', () => {
    const { downloads, faults } = resumingLink();
    downloads.onResponse(1, 5, SEGMENT_BYTES);
    downloads.onData({ requestId: 1, byteOffset: 0, payload: new Uint8Array(MAX_CHUNK_BYTES) });
    assert.equal(faults.length, 1);
    assert.match(faults[0]?.message ?? '', /out-of-order/);
  });

  it('ends without a fault when the peer declares another size than the first (one of them is wrong)', async () => {
    const { downloads, download, sent, faults } = resumingLink();
    downloads.onResponse(1, 5, SEGMENT_BYTES + 1);
    await assert.rejects(
      download.promise,
      (error: P2PError) => error.code === 'peer-error' && /another peer/.test(error.message),
    );
    assert.deepEqual(faults, []);
    assert.deepEqual(sent.at(-1), { type: 'cancel', requestId: 1 });
    assert.equal(download.partial(), null, 'nothing of its own to resume from');
  });

  it('keeps both peers’ bytes when cut for its pace, vouched for by nobody; none of its own: no partial', () => {
    const cut = resumingLink();
    cut.downloads.onResponse(1, 5, SEGMENT_BYTES);
    cut.downloads.onData({ requestId: 1, byteOffset: PREFIX_BYTES, payload: new Uint8Array(MAX_CHUNK_BYTES) });
    cut.download.cancel('too-slow');
    const partial = cut.download.partial();
    assert.equal(partial?.bytes.byteLength, PREFIX_BYTES + MAX_CHUNK_BYTES);
    assert.equal(partial?.bytes[0], 7);
    assert.equal(partial?.vouched, false);
    assert.equal(cut.budget.usedBytes, 0);
    const silent = resumingLink();
    silent.downloads.onResponse(1, 5, SEGMENT_BYTES);
    silent.download.cancel('too-slow');
    assert.equal(silent.download.partial(), null);
  });
});
