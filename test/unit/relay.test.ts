import assert from 'node:assert/strict';
import { mock } from 'node:test';
import { RelaySources } from '../../lib/engine/relay-sources.ts';
import { PeerDownloads } from '../../lib/peer/peer-downloads.ts';
import { ReceiveBudget } from '../../lib/peer/peer-limits.ts';
import { encodeControl, parseFrame, type DataFrame, type PeerMessage } from '../../lib/peer/peer-protocol.ts';
import { PeerUploads } from '../../lib/peer/peer-uploads.ts';
import { RelaySource } from '../../lib/peer/relay-source.ts';
import type { StrikeKind } from '../../lib/policy/peer-strikes.ts';

const bytesOf = (length: number, first = 0): Uint8Array => Uint8Array.from({ length }, (_, i) => (first + i) % 251);

describe('RelaySource: a segment served while it arrives', () => {
  it('holds back the last byte until confirmed, then everything may go', () => {
    const source = new RelaySource(10);
    assert.equal(source.sendableBytes, 0);
    source.append(bytesOf(4));
    assert.equal(source.sendableBytes, 4);
    source.append(bytesOf(6, 4));
    assert.equal(source.sendableBytes, 9, 'whole but unconfirmed: the last byte is held');
    source.confirm();
    assert.equal(source.sendableBytes, 10);
    assert.deepEqual(source.read(0, 100), bytesOf(4), 'a read stays within one received chunk');
    assert.deepEqual(source.read(4, 100), bytesOf(6, 4));
    assert.deepEqual(source.read(5, 2), bytesOf(2, 5));
    assert.equal(source.read(10, 5).byteLength, 0);
  });

  it('is confirmed only when every byte arrived', () => {
    const source = new RelaySource(10);
    source.append(bytesOf(5));
    source.confirm();
    source.append(bytesOf(5, 5));
    assert.equal(source.sendableBytes, 9, 'the early confirmation did not count');
    assert.equal(source.read(9, 10).byteLength, 0, 'the held byte cannot be read');
  });

  it('fails on more bytes than declared, and a failed source has nothing to send', () => {
    const source = new RelaySource(10);
    source.append(bytesOf(8));
    source.append(bytesOf(3));
    assert.equal(source.failed, true);
    assert.equal(source.sendableBytes, 0);
    assert.equal(source.read(0, 10).byteLength, 0);
    source.confirm();
    assert.equal(source.failed, true, 'a failed source stays failed');
  });

  it('wakes each waiter once per change (bytes, confirmation, failure); unsubscribed ones not at all', () => {
    const source = new RelaySource(4);
    const wakes: string[] = [];
    source.onChange(() => wakes.push('a'));
    const unsubscribe = source.onChange(() => wakes.push('b'));
    unsubscribe();
    source.append(bytesOf(2));
    source.append(bytesOf(2));
    assert.deepEqual(wakes, ['a']);
    source.onChange(() => wakes.push('c'));
    source.confirm();
    assert.deepEqual(wakes, ['a', 'c']);
    const failing = new RelaySource(4);
    failing.onChange(() => wakes.push('d'));
    failing.fail();
    assert.deepEqual(wakes, ['a', 'c', 'd']);
  });

  it('cannot fail once confirmed (a late stop of its transfer changes nothing)', () => {
    const source = new RelaySource(4);
    source.append(bytesOf(4));
    source.confirm();
    source.fail();
    assert.equal(source.failed, false);
    assert.equal(source.sendableBytes, 4);
  });
});

describe('RelaySources: the relays of one viewer', () => {
  it('confirms or fails a relay by swarm and sequence number, and forgets it either way', () => {
    const relays = new RelaySources(() => 0);
    const a = relays.begin('swarm', 1, 2);
    const b = relays.begin('swarm', 2, 2);
    a.append(bytesOf(2));
    relays.confirm('swarm', 1);
    relays.fail('swarm', 2);
    assert.equal(a.sendableBytes, 2);
    assert.equal(b.failed, true);
    assert.equal(relays.get('swarm', 1), undefined);
    assert.equal(relays.get('swarm', 2), undefined);
  });

  it('bounds what it holds: a new download of the same segment replaces the old, old unconfirmed ones are given up', () => {
    const clock = { nowMs: 0 };
    const relays = new RelaySources(() => clock.nowMs);
    const first = relays.begin('swarm', 1, 2);
    const again = relays.begin('swarm', 1, 2);
    assert.equal(first.failed, true);
    assert.equal(relays.get('swarm', 1), again);
    clock.nowMs = 30_000;
    relays.begin('swarm', 2, 2);
    assert.equal(again.failed, true, 'unconfirmed for 30 s');
    const many = Array.from({ length: 40 }, (_, i) => relays.begin('other', i, 2));
    assert.ok(many.filter((relay) => !relay.failed).length <= 16);
    relays.clear();
    assert.ok(many.every((relay) => relay.failed));
  });
});

function relayUploads(source: RelaySource | undefined) {
  const messages: PeerMessage[] = [];
  const frames: DataFrame[] = [];
  const upload = new PeerUploads({
    getSegment: () => undefined,
    getRelay: () => source,
    onUploaded: () => undefined,
    send: (message) => messages.push(message),
    sendBytes: (bytes) => {
      const parsed = parseFrame(bytes);
      assert.equal(parsed.kind, 'data');
      if (parsed.kind === 'data') frames.push({ ...parsed.frame, payload: parsed.frame.payload.slice() });
    },
    bufferedBytes: () => 0,
    closed: () => false,
    nowMs: () => 0,
    onViolation: (reason) => assert.fail(reason),
  });
  const sent = (): Uint8Array => {
    const out = new Uint8Array(frames.reduce((sum, frame) => sum + frame.payload.byteLength, 0));
    for (const frame of frames) out.set(frame.payload, frame.byteOffset);
    return out;
  };
  return { upload, messages, frames, sent };
}

describe('PeerUploads of a relayed segment', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('sends the header at once, each chunk as it arrives, and the last byte only once the relay confirmed the segment', () => {
    const source = new RelaySource(1000);
    const side = relayUploads(source);
    side.upload.request(7, 3);
    assert.deepEqual(side.messages, [{ type: 'response', requestId: 7, sequenceNumber: 3, byteLength: 1000 }]);
    assert.equal(side.frames.length, 0, 'nothing arrived yet');
    source.append(bytesOf(600));
    assert.deepEqual(side.sent(), bytesOf(600));
    source.append(bytesOf(400, 600));
    assert.equal(side.sent().byteLength, 999, 'the last byte waits for the relay to vouch for the segment');
    source.confirm();
    assert.deepEqual(side.sent(), bytesOf(1000));
    assert.ok(side.frames.every((frame) => frame.requestId === 7));
    side.upload.destroy();
  });

  it('answers `absent` after the header when the relay fails, then serves the next request', () => {
    const source = new RelaySource(1000);
    const side = relayUploads(source);
    side.upload.request(1, 3);
    source.append(bytesOf(500));
    source.fail();
    assert.deepEqual(
      side.messages.map((m) => m.type),
      ['response', 'absent'],
    );
    side.upload.request(2, 3);
    assert.deepEqual(
      side.messages.at(-1),
      { type: 'absent', requestId: 2, sequenceNumber: 3 },
      'a failed relay is not served',
    );
    side.upload.destroy();
  });

  it('answers `absent` when there is neither a segment nor a relay', () => {
    const side = relayUploads(undefined);
    side.upload.request(1, 3);
    assert.deepEqual(side.messages, [{ type: 'absent', requestId: 1, sequenceNumber: 3 }]);
  });

  it('a cancel while waiting for the relay frees the link for the next request', () => {
    const source = new RelaySource(1000);
    const whole = new Uint8Array(50).fill(9).buffer;
    const messages: PeerMessage[] = [];
    const upload = new PeerUploads({
      getSegment: (sn) => (sn === 4 ? whole : undefined),
      getRelay: (sn) => (sn === 3 ? source : undefined),
      onUploaded: () => undefined,
      send: (message) => messages.push(message),
      sendBytes: () => undefined,
      bufferedBytes: () => 0,
      closed: () => false,
      nowMs: () => 0,
      onViolation: (reason) => assert.fail(reason),
    });
    upload.request(1, 3);
    upload.request(2, 4);
    assert.deepEqual(
      messages.map((m) => m.type),
      ['response'],
      'the second waits behind the relay',
    );
    upload.cancel(1);
    assert.deepEqual(messages.at(-1), { type: 'response', requestId: 2, sequenceNumber: 4, byteLength: 50 });
    assert.equal(upload.queuedRequests, 0);
    upload.destroy();
  });

  it('destroy stops waiting on the relay', () => {
    const source = new RelaySource(1000);
    const side = relayUploads(source);
    side.upload.request(1, 3);
    side.upload.destroy();
    source.append(bytesOf(10));
    assert.equal(side.frames.length, 0);
  });
});

function downloads() {
  const sent: PeerMessage[] = [];
  const strikes: StrikeKind[] = [];
  const faults: string[] = [];
  const peer = new PeerDownloads({
    remotePeerId: 'relay',
    nowMs: () => 0,
    send: (message) => sent.push(message),
    onDelivered: () => undefined,
    onFault: (error) => faults.push(error.message),
    onStrike: (kind) => strikes.push(kind),
    receiveBudget: new ReceiveBudget(),
  });
  const requestId = (): number => (sent.at(-1) as { requestId: number }).requestId;
  return { peer, strikes, faults, requestId };
}

describe('PeerDownloads from a relay', () => {
  it('an `absent` after the header is the relay source failing: bytes dropped (no resume), every second one in a row a strike', async () => {
    const side = downloads();
    for (let attempt = 1; attempt <= 2; attempt++) {
      const download = side.peer.start(5, () => undefined, true);
      const id = side.requestId();
      side.peer.onResponse(id, 5, 100);
      side.peer.onData({ requestId: id, byteOffset: 0, payload: bytesOf(40) });
      side.peer.onAbsent(id, 5);
      await assert.rejects(download.promise, /could not relay 5/);
      assert.equal(download.partial(), null, 'nobody vouched for the bytes: nothing to resume from');
      assert.deepEqual(side.strikes, attempt === 1 ? [] : ['unkept-claim']);
    }
    assert.deepEqual(side.faults, []);
  });

  it('a relay download given up for its pace keeps its bytes for a Range resume, marked as not vouched for', async () => {
    const side = downloads();
    const partials = [];
    for (const relayed of [true, false]) {
      const download = side.peer.start(5, () => undefined, relayed);
      const id = side.requestId();
      side.peer.onResponse(id, 5, 100);
      side.peer.onData({ requestId: id, byteOffset: 0, payload: bytesOf(40) });
      download.cancel('too-slow');
      await assert.rejects(download.promise, /cancelled/);
      const partial = download.partial();
      partials.push(partial && { bytes: [...partial.bytes], totalBytes: partial.totalBytes, vouched: partial.vouched });
    }
    assert.deepEqual(partials, [
      { bytes: [...bytesOf(40)], totalBytes: 100, vouched: false },
      { bytes: [...bytesOf(40)], totalBytes: 100, vouched: true },
    ]);
    assert.deepEqual(side.strikes, ['too-slow', 'too-slow']);
  });

  it('a delivered relay download resets the count; an `absent` for a segment the peer claimed to have is struck at once', async () => {
    const side = downloads();
    const failed = side.peer.start(5, () => undefined, true);
    side.peer.onAbsent(side.requestId(), 5);
    await assert.rejects(failed.promise);
    const delivered = side.peer.start(6, () => undefined, true);
    const id = side.requestId();
    side.peer.onResponse(id, 6, 10);
    side.peer.onData({ requestId: id, byteOffset: 0, payload: bytesOf(10) });
    assert.deepEqual(new Uint8Array(await delivered.promise), bytesOf(10));
    const again = side.peer.start(7, () => undefined, true);
    side.peer.onAbsent(side.requestId(), 7);
    await assert.rejects(again.promise);
    assert.deepEqual(side.strikes, [], 'two failures, but not in a row');
    const claimed = side.peer.start(8, () => undefined);
    side.peer.onAbsent(side.requestId(), 8);
    await assert.rejects(claimed.promise, /does not have 8/);
    assert.deepEqual(side.strikes, ['unkept-claim']);
  });

  it('hands each chunk to the progress callback', () => {
    const side = downloads();
    const chunks: Uint8Array[] = [];
    side.peer.start(5, (progress) => chunks.push(progress.chunk ?? new Uint8Array(0)), true);
    const id = side.requestId();
    side.peer.onResponse(id, 5, 10);
    side.peer.onData({ requestId: id, byteOffset: 0, payload: bytesOf(4) });
    side.peer.onData({ requestId: id, byteOffset: 4, payload: bytesOf(6, 4) });
    assert.deepEqual(chunks, [bytesOf(4), bytesOf(6, 4)]);
  });
});

describe('peer protocol: `loading` with `relay`', () => {
  it('round-trips the relay flag and leaves it out of plain HTTP `loading`', () => {
    for (const message of [
      { type: 'loading', sequenceNumbers: [4, 5], relay: true },
      { type: 'loading', sequenceNumbers: [4] },
    ] as const) {
      assert.deepEqual(parseFrame(encodeControl(message)), { kind: 'control', message });
    }
    const falseFlag = parseFrame(encodeControl({ type: 'loading', sequenceNumbers: [4], relay: false }));
    assert.deepEqual(falseFlag, { kind: 'control', message: { type: 'loading', sequenceNumbers: [4] } });
  });

  it('rejects a relay flag that is not a boolean', () => {
    const bytes = new TextEncoder().encode('\u0001{"type":"loading","sequenceNumbers":[1],"relay":"yes"}');
    assert.deepEqual(parseFrame(bytes), { kind: 'invalid', reason: 'loading.relay is not a boolean' });
  });
});
