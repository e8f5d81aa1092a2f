import assert from 'node:assert/strict';
import { mock } from 'node:test';
import { UploadLimiter } from '../../lib/engine/upload-limiter.ts';
import { parseFrame, type PeerMessage } from '../../lib/peer/peer-protocol.ts';
import { DEFAULT_UPLOAD_LIMITS, PeerUploads, type UploadPacer } from '../../lib/peer/peer-uploads.ts';
import { UPLOAD_HIGH_WATER_BYTES } from '../../lib/peer/send-queue-limit.ts';
import { UplinkAdmission } from '../../lib/peer/uplink-admission.ts';

const SEGMENT_BYTES = 256 * 1024;

function uploads(
  clock: { nowMs: number },
  pacer?: UploadPacer,
  uplink?: UplinkAdmission,
  sentFrameBytes?: () => number,
) {
  const messages: PeerMessage[] = [];
  const dataBytes = new Map<number, number>();
  const violations: string[] = [];
  const channel = { bufferedBytes: 0, closed: false };
  const segment = new Uint8Array(SEGMENT_BYTES).buffer;
  const upload = new PeerUploads({
    getSegment: (sn) => (sn < 1000 ? segment : undefined),
    onUploaded: () => undefined,
    pacer,
    send: (message) => messages.push(message),
    sendBytes: (bytes) => {
      const parsed = parseFrame(bytes);
      assert.equal(parsed.kind, 'data');
      if (parsed.kind === 'data')
        dataBytes.set(
          parsed.frame.requestId,
          (dataBytes.get(parsed.frame.requestId) ?? 0) + parsed.frame.payload.byteLength,
        );
    },
    bufferedBytes: () => channel.bufferedBytes,
    closed: () => channel.closed,
    nowMs: () => clock.nowMs,
    onViolation: (reason) => violations.push(reason),
    uplink,
    sentFrameBytes,
  });
  const headers = (): number[] =>
    messages.filter((m) => m.type === 'response').map((m) => (m as { requestId: number }).requestId);
  const absent = (): number[] =>
    messages.filter((m) => m.type === 'absent').map((m) => (m as { requestId: number }).requestId);
  return { upload, messages, dataBytes, violations, channel, headers, absent };
}

describe('PeerUploads: what one peer may ask of our uplink', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('serves one request at a time: the next header goes out only when the previous upload is whole', () => {
    const clock = { nowMs: 0 };
    const side = uploads(clock);
    side.channel.bufferedBytes = UPLOAD_HIGH_WATER_BYTES + 1; // the channel is congested
    side.upload.request(1, 10);
    side.upload.request(2, 11);
    side.upload.request(3, 12);
    assert.deepEqual(side.headers(), [1]);
    assert.equal(side.dataBytes.size, 0, 'nothing is sent while the send queue is above the high-water mark');
    side.channel.bufferedBytes = 0;
    mock.timers.tick(10);
    assert.deepEqual(side.headers(), [1, 2, 3]);
    assert.deepEqual([...side.dataBytes.values()], [SEGMENT_BYTES, SEGMENT_BYTES, SEGMENT_BYTES]);
    side.upload.destroy();
  });

  it('answers `busy` to a request our uplink would not have through within the budget, unless the requester needs it later', () => {
    const clock = { nowMs: 0 };
    // An upload cap of 100 kB/s is the uplink until a rate is measured.
    const uplink = new UplinkAdmission(1500, 100_000);
    const serving = uploads(clock, undefined, uplink);
    const asking = uploads(clock, undefined, uplink);
    // The first peer's upload is accepted (nothing else is) and waits on a full channel.
    serving.channel.bufferedBytes = UPLOAD_HIGH_WATER_BYTES + 1;
    serving.upload.request(1, 10);
    assert.deepEqual(serving.headers(), [1]);
    assert.equal(serving.upload.backlogBytes, SEGMENT_BYTES, 'none of it handed to the channel');
    // Another segment on another link shares the uplink with it: 2 × 256 KiB at 100 B/ms, 5.2 s.
    asking.upload.request(1, 11);
    assert.deepEqual(asking.messages, [{ type: 'absent', requestId: 1, sequenceNumber: 11, busy: true }]);
    // A segment needed in 30 s may queue 7.5 s: accepted.
    asking.upload.request(2, 12, 30_000);
    assert.deepEqual(asking.headers(), [2]);
    assert.equal(uplink.refusedRequests, 1);
    assert.deepEqual([...serving.violations, ...asking.violations], []);
    // A cancelled upload weighs nothing, and neither do destroyed links.
    serving.upload.cancel(1);
    assert.equal(serving.upload.backlogBytes, 0);
    serving.upload.destroy();
    asking.upload.destroy();
    const next = uploads(clock, undefined, uplink);
    next.upload.request(1, 13);
    assert.deepEqual(next.headers(), [1]);
    next.upload.destroy();
  });

  it('serves a request with `fromByte` from there (the header declares the whole size), and one beyond the segment `absent`', () => {
    const clock = { nowMs: 0 };
    const side = uploads(clock);
    const offsets: number[] = [];
    const upload = new PeerUploads({
      getSegment: (sn) =>
        sn === 10 ? Uint8Array.from({ length: SEGMENT_BYTES }, (_, i) => i % 251).buffer : undefined,
      onUploaded: () => undefined,
      send: (message) => side.messages.push(message),
      sendBytes: (bytes) => {
        const parsed = parseFrame(bytes);
        assert.ok(parsed.kind === 'data');
        offsets.push(parsed.frame.byteOffset);
        assert.equal(parsed.frame.payload[0], parsed.frame.byteOffset % 251, 'the bytes at that offset');
      },
      bufferedBytes: () => 0,
      closed: () => false,
      nowMs: () => clock.nowMs,
      onViolation: (reason) => assert.fail(reason),
    });
    const fromByte = SEGMENT_BYTES - 10_000;
    upload.request(1, 10, undefined, fromByte);
    upload.request(2, 10, undefined, SEGMENT_BYTES);
    mock.timers.tick(10);
    assert.deepEqual(side.messages, [
      { type: 'response', requestId: 1, sequenceNumber: 10, byteLength: SEGMENT_BYTES },
      { type: 'absent', requestId: 2, sequenceNumber: 10 },
    ]);
    assert.equal(offsets[0], fromByte);
    assert.equal(offsets.length, 1, 'the 10,000 bytes left fit one chunk');
    upload.destroy();
  });

  it('counts as sent what the link handed to the channel less what the channel still queues', () => {
    const clock = { nowMs: 0 };
    let handedBytes = 0;
    const side = uploads(clock, undefined, undefined, () => handedBytes);
    handedBytes = 5000;
    side.channel.bufferedBytes = 3000;
    assert.equal(side.upload.drainedBytes, 2000);
    assert.equal(side.upload.queuedBytes, 3000);
    side.upload.destroy();
  });

  it('disconnects a peer with more requests in flight than the limit', () => {
    const side = uploads({ nowMs: 0 });
    side.channel.bufferedBytes = UPLOAD_HIGH_WATER_BYTES + 1;
    for (let id = 1; id <= DEFAULT_UPLOAD_LIMITS.maxQueuedRequests; id++) side.upload.request(id, id);
    assert.deepEqual(side.violations, []);
    side.upload.request(100, 100);
    assert.equal(side.violations.length, 1);
    assert.match(side.violations[0] ?? '', /requests in flight/);
    side.upload.destroy();
  });

  it('disconnects a peer that requests faster than the rate limit, and allows the sustained rate', () => {
    const clock = { nowMs: 0 };
    const side = uploads(clock);
    const { requestBurst, requestsPerSecond } = DEFAULT_UPLOAD_LIMITS;
    for (let id = 1; id <= requestBurst; id++) side.upload.request(id, id % 5);
    for (let second = 0; second < 10; second++) {
      clock.nowMs += 1000;
      for (let i = 0; i < requestsPerSecond; i++) side.upload.request(1000 + second * 100 + i, 2000);
    }
    assert.deepEqual(side.violations, []);
    for (let id = 0; id <= requestsPerSecond; id++) side.upload.request(5000 + id, 2000);
    assert.match(side.violations[0] ?? '', /requests\/s/);
    side.upload.destroy();
  });

  it(`serves one segment to one peer at most ${DEFAULT_UPLOAD_LIMITS.maxServesPerSegment} times; then answers absent`, () => {
    const clock = { nowMs: 0 };
    const side = uploads(clock);
    for (let id = 1; id <= 6; id++) {
      clock.nowMs += 1000;
      side.upload.request(id, 7);
    }
    assert.deepEqual(side.headers(), [1, 2, 3]);
    assert.deepEqual(side.absent(), [4, 5, 6]);
    assert.deepEqual(side.violations, []);
    side.upload.destroy();
  });

  it('shares a capped upload equally between a peer with many requests queued and one with one at a time', () => {
    const clock = { nowMs: 0 };
    const limiter = new UploadLimiter(256 * 1024, 0);
    const pacer = limiter.pacer(() => clock.nowMs);
    const greedy = uploads(clock, pacer);
    const honest = uploads(clock, pacer);
    for (let id = 1; id <= DEFAULT_UPLOAD_LIMITS.maxQueuedRequests; id++) greedy.upload.request(id, id);
    let honestId = 1;
    honest.upload.request(honestId, 500);
    for (let step = 0; step < 200; step++) {
      clock.nowMs += 50;
      mock.timers.tick(50);
      // The honest peer asks for its next segment as soon as one is whole.
      if ((honest.dataBytes.get(honestId) ?? 0) === SEGMENT_BYTES) honest.upload.request(++honestId, 500 + honestId);
    }
    const sum = (bytes: Map<number, number>): number => [...bytes.values()].reduce((a, b) => a + b, 0);
    const honestBytes = sum(honest.dataBytes);
    const greedyBytes = sum(greedy.dataBytes);
    // 10 s at 256 KiB/s plus one second of burst.
    assert.ok(honestBytes + greedyBytes <= 11 * 256 * 1024 + 64 * 1024);
    assert.ok(honestBytes >= 0.45 * (honestBytes + greedyBytes), `honest ${honestBytes} B vs greedy ${greedyBytes} B`);
    greedy.upload.destroy();
    honest.upload.destroy();
  });

  it('sends nothing after destroy, and gives back what it had booked', () => {
    const clock = { nowMs: 0 };
    const limiter = new UploadLimiter(64 * 1024, 0);
    const side = uploads(
      clock,
      limiter.pacer(() => clock.nowMs),
    );
    side.upload.request(1, 1);
    const sent = side.dataBytes.get(1) ?? 0;
    assert.ok(sent > 0 && sent < SEGMENT_BYTES);
    side.upload.destroy();
    clock.nowMs += 10_000;
    mock.timers.tick(10_000);
    assert.equal(side.dataBytes.get(1), sent);
    // A full second of burst is available again once the booked chunk came back.
    assert.equal(limiter.reserve(64 * 1024, clock.nowMs), 0);
  });
});
