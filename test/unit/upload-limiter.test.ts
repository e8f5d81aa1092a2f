import assert from 'node:assert/strict';
import { onCellularOrSaveData, UploadLimiter } from '../../lib/engine/upload-limiter.ts';

describe('UploadLimiter', () => {
  it('lets one second of bytes through at once, then paces to the rate', () => {
    const limiter = new UploadLimiter(100_000, 0);
    assert.equal(limiter.reserve(100_000, 0), 0);
    assert.equal(limiter.reserve(50_000, 0), 500);
    // Half a second later the debt is paid; the next 50 kB waits another half second.
    assert.equal(limiter.reserve(50_000, 500), 500);
  });

  it('refills with time but never beyond one second of burst', () => {
    const limiter = new UploadLimiter(100_000, 0);
    limiter.reserve(100_000, 0);
    assert.equal(limiter.reserve(100_000, 60_000), 0);
    assert.equal(limiter.reserve(10_000, 60_000), 100);
  });

  it('takes back bytes booked but not sent, so they delay nothing after', () => {
    const limiter = new UploadLimiter(100_000, 0);
    limiter.reserve(100_000, 0);
    assert.equal(limiter.reserve(50_000, 0), 500);
    limiter.refund(50_000);
    assert.equal(limiter.reserve(10_000, 100), 0);
  });

  it('never refunds beyond one second of burst', () => {
    const limiter = new UploadLimiter(100_000, 0);
    limiter.refund(500_000);
    assert.equal(limiter.reserve(150_000, 0), 500);
  });

  it('paces uploads in chunks of an eighth of a second, never under 4 KiB', () => {
    assert.equal(new UploadLimiter(800_000, 0).pacer(() => 0).chunkBytes, 100_000);
    assert.equal(new UploadLimiter(16_384, 0).pacer(() => 0).chunkBytes, 4096);
  });

  it('averages to the configured rate over many chunks', () => {
    const limiter = new UploadLimiter(64 * 1024, 0);
    let nowMs = 0;
    for (let i = 0; i < 100; i++) nowMs += limiter.reserve(64 * 1024, nowMs);
    // 100 chunks of one second's worth each: the first is the burst, the other 99 take a second each.
    assert.equal(Math.round(nowMs), 99_000);
  });
});

describe('onCellularOrSaveData', () => {
  it('reads the Network Information API when the browser has it', () => {
    assert.equal(onCellularOrSaveData({ connection: { type: 'cellular' } }), true);
    assert.equal(onCellularOrSaveData({ connection: { type: 'wifi', saveData: true } }), true);
    assert.equal(onCellularOrSaveData({ connection: { type: 'wifi' } }), false);
    assert.equal(onCellularOrSaveData({}), false);
    assert.equal(onCellularOrSaveData(undefined), false);
  });
});
