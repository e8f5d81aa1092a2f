import assert from 'node:assert/strict';
import {
  reportCacheHit,
  reportPeerTransfer,
  updateHttpThroughput,
  type HttpThroughput,
} from '../../lib/policy/transfer-timing.ts';

// 100 KB in 100 ms after a 20 ms first byte: 1000 bytes/ms.
const HTTP: HttpThroughput = { bytesPerMs: 1000, firstByteMs: 20 };

describe('stats reported to hls.js ABR', () => {
  describe('a peer transfer', () => {
    const cases = [
      {
        name: 'reports the real timings when no HTTP transfer was measured yet',
        measured: { startMs: 1000, firstByteMs: 1300, endMs: 4000, bytes: 100_000 },
        http: null,
        expected: { startMs: 1000, firstMs: 1300, endMs: 4000 },
      },
      {
        name: 'reports the real timings of a peer faster than HTTP',
        measured: { startMs: 1000, firstByteMs: 1005, endMs: 1050, bytes: 100_000 },
        http: HTTP,
        expected: { startMs: 1000, firstMs: 1005, endMs: 1050 },
      },
      {
        name: 'reports a slow peer at HTTP pace, ending when the transfer really ended',
        measured: { startMs: 1000, firstByteMs: 1300, endMs: 4000, bytes: 100_000 },
        http: HTTP,
        // HTTP would take 20 + 100 000 / 1000 = 120 ms.
        expected: { startMs: 3880, firstMs: 3900, endMs: 4000 },
      },
      {
        name: "keeps a slow peer's first byte when it came sooner than HTTP's",
        measured: { startMs: 0, firstByteMs: 5, endMs: 1000, bytes: 200_000 },
        http: HTTP,
        expected: { startMs: 780, firstMs: 785, endMs: 1000 },
      },
    ];
    for (const { name, measured, http, expected } of cases) {
      it(name, () => {
        assert.deepEqual(reportPeerTransfer(measured, http), expected);
      });
    }

    it('keeps the first byte within the transfer even when measured after its end', () => {
      const reported = reportPeerTransfer({ startMs: 0, firstByteMs: 50, endMs: 10, bytes: 10 }, null);
      assert.ok(reported.startMs <= reported.firstMs && reported.firstMs <= reported.endMs);
    });

    it('never reports a sample faster than both the peer and HTTP were', () => {
      for (const bytes of [1000, 90_000, 1_000_000]) {
        for (const durationMs of [1, 50, 500, 5000]) {
          const measured = {
            startMs: 100,
            firstByteMs: 100 + Math.min(10, durationMs),
            endMs: 100 + durationMs,
            bytes,
          };
          const reported = reportPeerTransfer(measured, HTTP);
          const reportedMs = reported.endMs - reported.startMs;
          const httpMs = HTTP.firstByteMs + bytes / HTTP.bytesPerMs;
          assert.ok(
            reportedMs >= Math.min(durationMs, httpMs) - 1e-9,
            `${bytes} B in ${durationMs} ms reported as ${reportedMs} ms`,
          );
          assert.ok(reportedMs <= durationMs + 1e-9);
          assert.ok(reported.startMs <= reported.firstMs && reported.firstMs <= reported.endMs);
        }
      }
    });
  });

  describe('a cache hit', () => {
    it('reports its original transfer time, ending now', () => {
      assert.deepEqual(reportCacheHit(250, 10_000), { startMs: 9750, firstMs: 9750, endMs: 10_000 });
    });

    it('never reports zero time, which hls.js would read as infinite bandwidth', () => {
      const reported = reportCacheHit(0, 10_000);
      assert.ok(reported.endMs - reported.startMs > 0);
    });
  });

  describe('the HTTP throughput estimate', () => {
    it('starts from the first sample, measuring from the first byte', () => {
      assert.deepEqual(updateHttpThroughput(null, { startMs: 0, firstByteMs: 20, endMs: 120, bytes: 100_000 }), HTTP);
    });

    it('moves a weighted step towards each new sample', () => {
      const next = updateHttpThroughput(HTTP, { startMs: 0, firstByteMs: 40, endMs: 240, bytes: 100_000 });
      assert.ok(next !== null);
      assert.ok(next.bytesPerMs < HTTP.bytesPerMs && next.bytesPerMs > 500);
      assert.ok(next.firstByteMs > HTTP.firstByteMs && next.firstByteMs < 40);
    });

    it('ignores empty or inverted samples', () => {
      assert.equal(updateHttpThroughput(HTTP, { startMs: 0, firstByteMs: 0, endMs: 10, bytes: 0 }), HTTP);
      assert.equal(updateHttpThroughput(null, { startMs: 10, firstByteMs: 0, endMs: 5, bytes: 100 }), null);
    });

    it('does not divide by zero for a transfer that finished within the same millisecond', () => {
      const estimate = updateHttpThroughput(null, { startMs: 5, firstByteMs: 5, endMs: 5, bytes: 1000 });
      assert.ok(estimate !== null && Number.isFinite(estimate.bytesPerMs));
    });
  });
});
