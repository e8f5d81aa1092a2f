import assert from 'node:assert/strict';
import { mock } from 'node:test';
import type { P2PError } from '../../lib/api/errors.ts';
import { PeerLink, type PeerLinkOptions } from '../../lib/peer/peer-link.ts';
import type { UploadPacer } from '../../lib/peer/peer-uploads.ts';
import {
  encodeControl,
  encodeData,
  MAX_CHUNK_BYTES,
  MAX_LIST_LENGTH,
  parseFrame,
} from '../../lib/peer/peer-protocol.ts';
import {
  CONTROL_MESSAGE_BURST,
  MAX_REMOTE_AVAILABILITY_ENTRIES,
  MIN_SEGMENT_SIZE_BOUND_BYTES,
  ReceiveBudget,
} from '../../lib/peer/peer-limits.ts';
import { FakeDataChannel } from '../helpers/fake-data-channel.ts';

interface Side {
  readonly link: PeerLink;
  readonly channel: FakeDataChannel;
  closedWith: P2PError | null | undefined;
}

function linkedPair(
  clock: { nowMs: number },
  segments: ReadonlyMap<number, ArrayBuffer> = new Map(),
  initialHave: readonly number[] = [...segments.keys()],
  extra: {
    readonly uploadPacer?: UploadPacer;
    readonly receiveBudget?: ReceiveBudget;
    readonly onStrike?: PeerLinkOptions['onStrike'];
    readonly onAvailabilityChanged?: PeerLinkOptions['onAvailabilityChanged'];
    readonly uplinkClass?: PeerLinkOptions['uplinkClass'];
  } = {},
): [Side, Side] {
  const [channelA, channelB] = FakeDataChannel.pair();
  const side = (name: string, channel: FakeDataChannel, have: readonly number[]): Side => {
    const result: { closedWith: P2PError | null | undefined } = { closedWith: undefined };
    const link = new PeerLink({
      remotePeerId: name,
      peer: channel,
      initialHave: have,
      getSegment: (sn) => segments.get(sn),
      onUploaded: () => undefined,
      nowMs: () => clock.nowMs,
      onAvailabilityChanged: () => undefined,
      onClosed: (_link, error) => {
        result.closedWith = error;
      },
      ...extra,
    });
    return Object.assign(result, { link, channel });
  };
  // `a` downloads from `b`, which holds the segments.
  return [side('b', channelA, []), side('a', channelB, initialHave)];
}

describe('PeerLink', () => {
  it('measures RTT from request to response header and throughput from header to last byte, on its clock', async () => {
    const clock = { nowMs: 1_000 };
    // Large enough that a chunk is the largest message (a segment goes in about 16 chunks).
    const segment = new Uint8Array(32 * MAX_CHUNK_BYTES).fill(7).buffer;
    const [a, b] = linkedPair(clock, new Map([[5, segment]]));
    a.channel.deliverAll();
    assert.deepEqual([a.link.view(5).rttMs, a.link.view(5).throughputBytesPerSecond], [null, null]);

    const download = a.link.downloads.start(5, () => undefined);
    b.channel.deliverOne(); // b reads the request and queues the response header and chunks
    clock.nowMs += 40;
    assert.ok(a.channel.deliverOne()); // the response header
    assert.equal(a.link.view(5).rttMs, 40);
    clock.nowMs += 100;
    a.channel.deliverAll();
    const data = await download.promise;
    assert.equal(data.byteLength, segment.byteLength);
    assert.equal(a.link.view(5).throughputBytesPerSecond, (segment.byteLength * 1000) / 100);
    assert.equal(a.link.usefulness(new Set()).receivedBytes, segment.byteLength);
    assert.equal(b.link.usefulness(new Set()).sentBytes, segment.byteLength);

    // A second download smooths both figures.
    const second = a.link.downloads.start(5, () => undefined);
    b.channel.deliverOne();
    clock.nowMs += 20;
    a.channel.deliverOne();
    clock.nowMs += 50;
    a.channel.deliverAll();
    await second.promise;
    assert.equal(a.link.view(5).rttMs, 40 + 0.3 * (20 - 40));
    const first = (segment.byteLength * 1000) / 100;
    assert.equal(a.link.view(5).throughputBytesPerSecond, first + 0.3 * ((segment.byteLength * 1000) / 50 - first));
    a.link.destroy();
    b.link.destroy();
  });

  it("takes the pace of a transfer given up as too slow as the peer's throughput, but not of one cancelled otherwise", async () => {
    const clock = { nowMs: 1_000 };
    // Large enough that a chunk is the largest message (a segment goes in about 16 chunks).
    const segment = new Uint8Array(32 * MAX_CHUNK_BYTES).fill(7).buffer;
    const [a, b] = linkedPair(clock, new Map([[5, segment]]));
    a.channel.deliverAll();
    const receiveHeaderAndOneChunk = (): void => {
      b.channel.deliverOne(); // b reads the request and queues the response
      assert.ok(a.channel.deliverOne()); // the response header
      clock.nowMs += 500;
      assert.ok(a.channel.deliverOne()); // one chunk, half a second later
    };

    const seek = a.link.downloads.start(5, () => undefined);
    receiveHeaderAndOneChunk();
    seek.cancel();
    await assert.rejects(seek.promise);
    assert.equal(a.link.view(5).throughputBytesPerSecond, null, 'a cancel for a seek says nothing of the pace');

    a.channel.deliverAll(); // late frames of the cancelled transfer
    const slow = a.link.downloads.start(5, () => undefined);
    receiveHeaderAndOneChunk();
    slow.cancel('too-slow');
    await assert.rejects(slow.promise);
    assert.equal(a.link.view(5).throughputBytesPerSecond, (MAX_CHUNK_BYTES * 1000) / 500);
    a.link.destroy();
    b.link.destroy();
  });

  it('measures a peer that timed out without sending a byte as 0 B/s, and counts each broken promise', async () => {
    const clock = { nowMs: 1_000 };
    const strikes: string[] = [];
    const [a, b] = linkedPair(clock, new Map(), [], { onStrike: (_link, kind) => strikes.push(kind) });
    a.channel.deliverAll();
    const silent = a.link.downloads.start(5, () => undefined);
    clock.nowMs += 1_500;
    silent.cancel('timeout');
    await assert.rejects(silent.promise);
    assert.equal(a.link.view(5).throughputBytesPerSecond, 0);
    // Asked for a segment it does not hold: b answers `absent`, an unkept claim.
    const absent = a.link.downloads.start(6, () => undefined);
    a.channel.deliverAll();
    await assert.rejects(absent.promise, /does not have 6/);
    const seek = a.link.downloads.start(7, () => undefined);
    seek.cancel();
    await assert.rejects(seek.promise);
    assert.deepEqual(strikes, ['timeout', 'unkept-claim'], 'a cancel for a seek is no strike');
    a.link.destroy();
    b.link.destroy();
  });

  it('tells the peer how soon it needs a segment; a `busy` answer is no strike, and the peer is waited for a second, then asked again', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const clock = { nowMs: 1_000 };
      const strikes: string[] = [];
      const segment = new Uint8Array(1000).buffer;
      let changes = 0;
      const [a, b] = linkedPair(clock, new Map([[5, segment]]), [5], {
        onStrike: (_link, kind) => strikes.push(kind),
        onAvailabilityChanged: () => (changes += 1),
      });
      a.channel.deliverAll();
      assert.equal(a.link.view(5).has, true);
      const download = a.link.downloads.start(5, () => undefined, false, 4000.4);
      const request = parseFrame(b.channel.inbox.shift() ?? new Uint8Array());
      assert.deepEqual(request, {
        kind: 'control',
        message: { type: 'request', requestId: 1, sequenceNumber: 5, neededInMs: 4000 },
      });
      a.channel.inbox.push(encodeControl({ type: 'absent', requestId: 1, sequenceNumber: 5, busy: true }));
      a.channel.deliverOne();
      await assert.rejects(download.promise, /peer b is too busy to send 5/);
      assert.deepEqual(strikes, []);
      const busy = a.link.view(5);
      assert.deepEqual(
        [busy.has, busy.busy, busy.loading],
        [false, true, false],
        'not asked, waited for, not a loading claim',
      );
      assert.equal(a.link.view(6).busy, false, 'only for what it has');
      // When the back-off ends, the waiting loaders hear of it.
      const before = changes;
      mock.timers.tick(1_000);
      clock.nowMs += 1_000;
      assert.equal(changes, before + 1);
      assert.deepEqual([a.link.view(5).has, a.link.view(5).busy], [true, false], 'it still has the segment');
      // Without `busy` the same answer is an unkept claim, and the claim is forgotten.
      const again = a.link.downloads.start(5, () => undefined);
      b.channel.inbox.length = 0;
      a.channel.inbox.push(encodeControl({ type: 'absent', requestId: 2, sequenceNumber: 5 }));
      a.channel.deliverOne();
      await assert.rejects(again.promise, /does not have 5/);
      assert.deepEqual(strikes, ['unkept-claim']);
      assert.equal(a.link.view(5).has, false);
      a.link.destroy();
      b.link.destroy();
    } finally {
      mock.timers.reset();
    }
  });

  it('backs off a peer that answers `busy` for 1, 2, 4 s, waits for it only twice in a row, and starts over once it delivers', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const clock = { nowMs: 1_000 };
      const segment = new Uint8Array(1000).buffer;
      let changes = 0;
      const [a, b] = linkedPair(clock, new Map([[5, segment]]), [5], { onAvailabilityChanged: () => (changes += 1) });
      a.channel.deliverAll();
      const busyAnswer = async (requestId: number): Promise<void> => {
        const download = a.link.downloads.start(5, () => undefined);
        b.channel.inbox.length = 0;
        a.channel.inbox.push(encodeControl({ type: 'absent', requestId, sequenceNumber: 5, busy: true }));
        a.channel.deliverOne();
        await assert.rejects(download.promise, /too busy/);
      };
      const seen: string[] = [];
      for (const [requestId, backoffMs] of [
        [1, 1000],
        [2, 2000],
        [3, 4000],
      ] as const) {
        await busyAnswer(requestId);
        const waitedFor = a.link.view(5).busy === true;
        mock.timers.tick(backoffMs - 1);
        const stillOff = !a.link.view(5).has;
        mock.timers.tick(1);
        seen.push(`${waitedFor ? 'waited for' : 'not waited for'}, off ${stillOff ? backoffMs : 0} ms`);
        assert.equal(a.link.view(5).has, true, 'asked again once the back-off ended');
      }
      assert.deepEqual(seen, ['waited for, off 1000 ms', 'waited for, off 2000 ms', 'not waited for, off 4000 ms']);
      // It delivers a segment: its next `busy` is waited for again, for a second.
      const delivered = a.link.downloads.start(5, () => undefined);
      a.channel.deliverAll();
      await delivered.promise;
      await busyAnswer(5);
      assert.equal(a.link.view(5).busy, true);
      // Closing the link clears its back-off timer: nothing fires after.
      const before = changes;
      a.link.destroy();
      b.link.destroy();
      mock.timers.runAll();
      assert.equal(changes, before);
    } finally {
      mock.timers.reset();
    }
  });

  it('sends data in chunks of the configured size, all of it arriving intact', async () => {
    const clock = { nowMs: 0 };
    // Large enough that the pacer's chunk is smaller than a sixteenth of the segment.
    const segment = new Uint8Array(100_000).map((_, i) => i % 251).buffer;
    const [a, b] = linkedPair(clock, new Map([[5, segment]]), [5], {
      uploadPacer: { chunkBytes: 4096, delayMs: () => 0, refund: () => undefined },
    });
    a.channel.deliverAll();
    const chunks: number[] = [];
    let previous = 0;
    const download = a.link.downloads.start(5, ({ loadedBytes }) => {
      chunks.push(loadedBytes - previous);
      previous = loadedBytes;
    });
    b.channel.deliverAll();
    a.channel.deliverAll();
    assert.deepEqual(new Uint8Array(await download.promise), new Uint8Array(segment));
    assert.deepEqual(chunks, [...Array<number>(24).fill(4096), 100_000 - 24 * 4096]);
    a.link.destroy();
    b.link.destroy();
  });

  it('gives each request in flight its own id', () => {
    const clock = { nowMs: 0 };
    const [a, b] = linkedPair(clock, new Map([[1, new ArrayBuffer(10)]]));
    a.channel.deliverAll();
    b.channel.inbox.length = 0;
    const downloads = [1, 1, 1].map(() => a.link.downloads.start(1, () => undefined));
    const ids = b.channel.inbox.map(
      (bytes) => (JSON.parse(new TextDecoder().decode(bytes.subarray(1))) as { requestId: number }).requestId,
    );
    assert.equal(new Set(ids).size, 3);
    for (const download of downloads) {
      download.cancel();
      download.promise.catch(() => undefined);
    }
    a.link.destroy();
    b.link.destroy();
  });

  it('drops a peer that reuses the id of a request it is still being served', () => {
    const clock = { nowMs: 0 };
    const [a, b] = linkedPair(clock, new Map([[1, new ArrayBuffer(10)]]));
    a.channel.deliverAll();
    // The uploader's send queue is full, so the first request is still being served.
    b.channel.bufferSize = 4 * 1024 * 1024;
    const request = encodeControl({ type: 'request', requestId: 9, sequenceNumber: 1 });
    b.channel.inbox.push(request, request);
    b.channel.deliverOne();
    b.channel.deliverOne();
    assert.equal(b.link.closed, true);
    assert.equal(b.closedWith?.code, 'peer-protocol');
    a.link.destroy();
  });

  it('closes, without an error, when the peer ends its stream (the remote side closed the channel) and no close follows', () => {
    const [a, b] = linkedPair({ nowMs: 0 });
    // simple-peer on streamx: a channel closed by the other side ends the stream and emits no close.
    a.channel.connected = false;
    a.channel.emit('end');
    assert.equal(a.link.closed, true);
    assert.equal(a.closedWith, null);
    assert.equal(a.channel.destroyed, true, 'the peer is destroyed with its link');
    b.link.destroy();
  });

  it('announces an initial map longer than one message as hello plus have, and the remote learns all of it', () => {
    const clock = { nowMs: 0 };
    const have = Array.from({ length: MAX_LIST_LENGTH + 3 }, (_, i) => 1_000_000_000 + i);
    const [a, b] = linkedPair(clock, new Map(), have);
    assert.equal(a.channel.inbox.length, 2);
    a.channel.deliverAll();
    assert.equal(a.closedWith, undefined);
    assert.ok(have.every((sn) => a.link.has(sn)));
    a.link.destroy();
    b.link.destroy();
  });

  it(`announces at most the ${MAX_REMOTE_AVAILABILITY_ENTRIES} newest segments, and remembers at most that many of a peer`, () => {
    const clock = { nowMs: 0 };
    const have = Array.from({ length: 3 * MAX_REMOTE_AVAILABILITY_ENTRIES }, (_, i) => i);
    const [a, b] = linkedPair(clock, new Map(), have);
    a.channel.deliverAll();
    assert.equal(a.link.info('s').segmentsAvailable, MAX_REMOTE_AVAILABILITY_ENTRIES);
    assert.ok(a.link.has(have.length - 1) && !a.link.has(0), 'the newest are announced');
    // A flood of `have` messages beyond the bound is not remembered.
    for (let start = 0; start < 10 * MAX_LIST_LENGTH; start += MAX_LIST_LENGTH) {
      b.channel.inbox.length = 0;
      a.channel.inbox.push(
        encodeControl({
          type: 'have',
          sequenceNumbers: Array.from({ length: MAX_LIST_LENGTH }, (_, i) => 1e9 + start + i),
        }),
      );
      a.channel.deliverOne();
    }
    assert.equal(a.link.info('s').segmentsAvailable, MAX_REMOTE_AVAILABILITY_ENTRIES);
    a.link.destroy();
    b.link.destroy();
  });

  it('disconnects a peer that floods control messages, with the reason', () => {
    const clock = { nowMs: 0 };
    const [a, b] = linkedPair(clock);
    a.channel.deliverAll();
    for (let i = 0; i < CONTROL_MESSAGE_BURST + 1 && !a.link.closed; i++) {
      a.channel.inbox.push(encodeControl({ type: 'lost', sequenceNumbers: [i] }));
      a.channel.deliverOne();
    }
    assert.equal(a.link.closed, true);
    assert.equal(a.closedWith?.code, 'peer-protocol');
    assert.match(a.closedWith?.message ?? '', /control messages\/s/);
    b.link.destroy();
  });

  it('disconnects a peer that declares a segment larger than the bound, holding nothing for it', async () => {
    const clock = { nowMs: 0 };
    const [a, b] = linkedPair(clock);
    a.channel.deliverAll();
    const download = a.link.downloads.start(1, () => undefined);
    a.channel.inbox.push(
      encodeControl({
        type: 'response',
        requestId: 1,
        sequenceNumber: 1,
        byteLength: MIN_SEGMENT_SIZE_BOUND_BYTES + 1,
      }),
    );
    a.channel.deliverOne();
    await assert.rejects(download.promise);
    assert.equal(a.closedWith?.code, 'peer-protocol');
    assert.match(a.closedWith?.message ?? '', /declared a segment/);
    b.link.destroy();
  });

  it('grows a download with the bytes received, not the size declared, and gives up one that exceeds the shared budget', async () => {
    const clock = { nowMs: 0 };
    const budget = new ReceiveBudget(() => 3 * MAX_CHUNK_BYTES);
    const [a, b] = linkedPair(clock, new Map(), [], { receiveBudget: budget });
    a.channel.deliverAll();
    const download = a.link.downloads.start(1, () => undefined);
    a.channel.inbox.push(
      encodeControl({ type: 'response', requestId: 1, sequenceNumber: 1, byteLength: 8 * MAX_CHUNK_BYTES }),
    );
    for (let i = 0; i < 4; i++)
      a.channel.inbox.push(encodeData(1, i * MAX_CHUNK_BYTES, new Uint8Array(MAX_CHUNK_BYTES)));
    a.channel.deliverAll();
    await assert.rejects(download.promise, /receive budget/);
    assert.equal(a.link.closed, false, "a full budget is not the peer's fault");
    assert.equal(budget.usedBytes, 0, 'the given-up download gave its bytes back');
    assert.equal(download.partial(), null, 'nothing is kept of it');
    a.link.destroy();
    b.link.destroy();
  });

  it('reports whether a peer has or fetches a segment we do not hold', () => {
    const clock = { nowMs: 0 };
    const [a, b] = linkedPair(clock, new Map(), [1, 2]);
    a.channel.deliverAll();
    assert.equal(a.link.usefulness(new Set([1, 2])).offersWanted, false);
    assert.equal(a.link.usefulness(new Set([1])).offersWanted, true);
    b.link.announceLoading(3);
    a.channel.deliverAll();
    assert.equal(a.link.usefulness(new Set([1, 2])).offersWanted, true);
    clock.nowMs += 45_000;
    assert.equal(a.link.usefulness(new Set([1, 2, 3])).connectedForMs, 45_000);
    a.link.destroy();
    b.link.destroy();
  });

  it('says hello with its newest segment first, whatever order its cache holds them in', () => {
    // The cache's order is by use: segment 2 was uploaded last.
    const [a, b] = linkedPair({ nowMs: 0 }, new Map(), [5, 9, 2]);
    a.channel.deliverAll();
    assert.equal(a.link.info('s').latestSequenceNumber, 9);
    a.link.destroy();
    b.link.destroy();
  });

  it('does not count segments far past the newest we hold as wanted (a claim of segment 10^15 is no reason to keep a peer)', () => {
    const clock = { nowMs: 0 };
    const [a, b] = linkedPair(clock, new Map(), [1e15]);
    a.channel.deliverAll();
    assert.equal(a.link.usefulness(new Set([1, 2])).offersWanted, false);
    assert.equal(a.link.usefulness(new Set()).offersWanted, true, 'holding nothing yet, anything is wanted');
    b.link.announceLoading(2 + 64);
    a.channel.deliverAll();
    assert.equal(a.link.usefulness(new Set([1, 2])).offersWanted, true, 'within 64 segments of our newest');
    a.link.destroy();
    b.link.destroy();
  });

  it('counts a peer as at the part of the stream of the newest segment its hello told, for 30 s', () => {
    const clock = { nowMs: 0 };
    const [a, b] = linkedPair(clock, new Map(), [10, 11, 12]);
    assert.equal(a.link.view(15).nearby, false, 'before its hello');
    a.channel.deliverAll();
    assert.deepEqual(
      [13, 15, 16, 8].map((sn) => a.link.view(sn).nearby),
      [true, true, false, false],
    );
    clock.nowMs += 30_000;
    assert.equal(a.link.view(13).nearby, false, 'told 30 s ago');
    a.link.destroy();
    b.link.destroy();
  });

  it("tells its uplink class in hello and in each have, and the peer's view carries the latest it told", () => {
    const clock = { nowMs: 0 };
    let told = 1;
    const [a, b] = linkedPair(clock, new Map(), [3], { uplinkClass: () => told });
    assert.equal(a.link.view(3).uplinkClass, 0, 'before its hello');
    a.channel.deliverAll();
    assert.equal(a.link.view(3).uplinkClass, 1);
    told = 2;
    b.link.announceHave(4);
    a.channel.deliverAll();
    assert.equal(a.link.view(4).uplinkClass, 2);
    told = 0;
    b.link.announceHave(5);
    a.channel.deliverAll();
    assert.equal(a.link.view(5).uplinkClass, 0);
    a.link.destroy();
    b.link.destroy();
  });
});
