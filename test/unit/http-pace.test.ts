import assert from 'node:assert/strict';
import { HttpPace } from '../../lib/engine/http-pace.ts';

describe('HttpPace', () => {
  it("smooths the stream's bitrate from the segments seen, skipping those of unknown duration", () => {
    const pace = new HttpPace();
    assert.equal(pace.bitrateBytesPerMs, null);
    pace.segmentSeen(500_000, 0);
    assert.equal(pace.bitrateBytesPerMs, null, 'no duration, no bitrate');
    assert.equal(pace.typicalSegmentBytes, 500_000);
    pace.segmentSeen(250_000, 2);
    assert.equal(pace.bitrateBytesPerMs, 125);
    pace.segmentSeen(750_000, 2);
    // EWMA with weight 0.3: 125 + 0.3 × (375 − 125).
    assert.equal(pace.bitrateBytesPerMs, 200);
  });
});
