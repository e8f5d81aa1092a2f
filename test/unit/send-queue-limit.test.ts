import assert from 'node:assert/strict';
import { mock } from 'node:test';
import { MAX_CHUNK_BYTES, parseFrame } from '../../lib/peer/peer-protocol.ts';
import { PeerUploads } from '../../lib/peer/peer-uploads.ts';
import {
  SEND_QUEUE_MS,
  SendQueueLimit,
  UPLOAD_HIGH_WATER_BYTES,
  uploadChunkBytes,
} from '../../lib/peer/send-queue-limit.ts';

const CHUNK_BYTES = 16 * 1024;

describe('SendQueueLimit: bytes a link may leave queued on its data channel', () => {
  it('cuts a segment into about sixteen chunks, within one byte and the largest message', () => {
    assert.equal(uploadChunkBytes(256 * 1024, MAX_CHUNK_BYTES), 16 * 1024);
    assert.equal(uploadChunkBytes(4 * 1024 * 1024, MAX_CHUNK_BYTES), MAX_CHUNK_BYTES);
    assert.equal(uploadChunkBytes(10, MAX_CHUNK_BYTES), 1);
    assert.equal(uploadChunkBytes(0, MAX_CHUNK_BYTES), 1);
  });

  it('allows four chunks until the drain rate is measured', () => {
    assert.equal(new SendQueueLimit().limitBytes(0, 0, CHUNK_BYTES), 4 * CHUNK_BYTES);
  });

  it(`follows the rate of a busy channel: about ${SEND_QUEUE_MS} ms of it, at least two chunks, at most 1 MiB`, () => {
    const table = [
      // bytes the channel sends per ms, limit expected
      { bytesPerMs: 100, limitBytes: 2 * CHUNK_BYTES }, // a slow uplink: two chunks
      { bytesPerMs: 2_000, limitBytes: 2_000 * SEND_QUEUE_MS },
      { bytesPerMs: 100_000, limitBytes: UPLOAD_HIGH_WATER_BYTES }, // loopback speeds: the ceiling
    ];
    for (const { bytesPerMs, limitBytes } of table) {
      const limit = new SendQueueLimit();
      let queuedBytes = 5 * 1024 * 1024;
      let nowMs = 0;
      let last = limit.limitBytes(queuedBytes, nowMs, CHUNK_BYTES);
      for (let check = 0; check < 20; check++) {
        nowMs += 5;
        queuedBytes -= bytesPerMs * 5;
        last = limit.limitBytes(queuedBytes, nowMs, CHUNK_BYTES);
      }
      assert.equal(Math.round(last), limitBytes, `${bytesPerMs} B/ms`);
    }
  });

  it('counts bytes handed between checks as sent when the queue did not grow by them', () => {
    const limit = new SendQueueLimit();
    limit.limitBytes(100_000, 0, CHUNK_BYTES);
    limit.handed(50_000);
    // 10 ms later the queue holds what it held: it sent the 50,000 bytes handed to it.
    assert.equal(limit.limitBytes(100_000, 10, CHUNK_BYTES), 5_000 * SEND_QUEUE_MS);
  });

  it(`waits on a full queue until its excess and one chunk drained at the measured rate, within 5 and ${SEND_QUEUE_MS} ms`, () => {
    const measured = (bytesPerMs: number): SendQueueLimit => {
      const limit = new SendQueueLimit();
      limit.limitBytes(1_000_000, 0, CHUNK_BYTES);
      limit.limitBytes(1_000_000 - bytesPerMs * 10, 10, CHUNK_BYTES);
      return limit;
    };
    assert.equal(new SendQueueLimit().waitMs(100_000, 50_000, CHUNK_BYTES), 5, 'unmeasured: the shortest wait');
    const table = [
      // rate (B/ms), queued, limit → wait
      { bytesPerMs: 1_000, queuedBytes: 32_768, limitBytes: 32_768, waitMs: 17 }, // one chunk: 16,384 / 1,000
      { bytesPerMs: 1_000, queuedBytes: 40_000, limitBytes: 32_768, waitMs: 24 }, // (7,232 + 16,384) / 1,000
      { bytesPerMs: 100, queuedBytes: 32_768, limitBytes: 32_768, waitMs: SEND_QUEUE_MS }, // 164 ms: capped
      { bytesPerMs: 100_000, queuedBytes: 1_048_576, limitBytes: 1_048_576, waitMs: 5 }, // 0.2 ms: the floor
    ];
    for (const { bytesPerMs, queuedBytes, limitBytes, waitMs } of table) {
      assert.equal(measured(bytesPerMs).waitMs(queuedBytes, limitBytes, CHUNK_BYTES), waitMs, `${bytesPerMs} B/ms`);
    }
  });

  it('learns nothing from a channel that ran dry between two checks', () => {
    const limit = new SendQueueLimit();
    limit.limitBytes(100_000, 0, CHUNK_BYTES);
    assert.equal(limit.limitBytes(0, 20, CHUNK_BYTES), 4 * CHUNK_BYTES);
  });
});

describe('PeerUploads over a channel that sends at a fixed rate', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  // A data channel that sends `bytesPerMs`; the upload's bytes per request id.
  function link(bytesPerMs: number, segmentBytes: number) {
    const clock = { nowMs: 0 };
    const channel = { queuedBytes: 0 };
    const handedByRequest = new Map<number, number>();
    const checks = { count: 0 };
    const upload = new PeerUploads({
      getSegment: () => new Uint8Array(segmentBytes).buffer,
      onUploaded: () => undefined,
      send: () => undefined,
      sendBytes: (bytes) => {
        channel.queuedBytes += bytes.byteLength;
        const parsed = parseFrame(bytes);
        if (parsed.kind === 'data') {
          const { requestId, payload } = parsed.frame;
          handedByRequest.set(requestId, (handedByRequest.get(requestId) ?? 0) + payload.byteLength);
        }
      },
      bufferedBytes: () => {
        checks.count += 1;
        return channel.queuedBytes;
      },
      closed: () => false,
      nowMs: () => clock.nowMs,
      onViolation: (reason) => assert.fail(reason),
    });
    const advance = (ms: number): void => {
      for (let step = 0; step < ms; step++) {
        clock.nowMs += 1;
        channel.queuedBytes = Math.max(0, channel.queuedBytes - bytesPerMs);
        mock.timers.tick(1);
      }
    };
    return { upload, channel, handedByRequest, advance, checks };
  }

  it('leaves little of a cancelled segment on a slow channel (it no longer queues the whole segment)', () => {
    const segmentBytes = 1024 * 1024;
    const side = link(250, segmentBytes); // a 250 KB/s uplink: the segment takes 4 s
    side.upload.request(1, 1);
    side.advance(1_000);
    side.upload.cancel(1);
    const queuedAtCancel = side.channel.queuedBytes;
    side.advance(5_000);
    const chunkBytes = uploadChunkBytes(segmentBytes, MAX_CHUNK_BYTES);
    // Below the limit (two chunks here) one more chunk may go: three framed chunks at most.
    assert.ok(queuedAtCancel <= 3 * (chunkBytes + 9), `${queuedAtCancel} B queued at the cancel`);
    const handed = side.handedByRequest.get(1) ?? 0;
    assert.ok(handed < segmentBytes / 2, `${handed} B of the cancelled segment handed to the channel`);
    side.upload.destroy();
  });

  it('keeps a fast channel busy: 8 MiB at 20 MB/s takes no more than 5% over the channel time', () => {
    const segmentBytes = 2 * 1024 * 1024;
    const side = link(20_000, segmentBytes);
    for (let id = 1; id <= 4; id++) side.upload.request(id, id);
    const channelMs = (4 * segmentBytes) / 20_000;
    side.advance(Math.ceil(channelMs * 1.05));
    assert.deepEqual([...side.handedByRequest.values()], [segmentBytes, segmentBytes, segmentBytes, segmentBytes]);
    side.upload.destroy();
  });

  it('keeps a slow channel busy while looking at it about once per chunk, not every 5 ms', () => {
    const segmentBytes = 1024 * 1024;
    const side = link(250, segmentBytes); // a 250 KB/s uplink: 4.2 s of channel time
    side.upload.request(1, 1);
    const channelMs = segmentBytes / 250;
    side.advance(Math.ceil(channelMs * 1.05));
    assert.equal(side.handedByRequest.get(1), segmentBytes);
    // 16 chunks of 64 KiB, each 262 ms of channel time: waits of up to 50 ms, not 840 polls of 5 ms.
    assert.ok(side.checks.count <= channelMs / 40, `${side.checks.count} checks of the queue`);
    side.upload.destroy();
  });
});
