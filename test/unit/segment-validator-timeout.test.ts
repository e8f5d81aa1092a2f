import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mock } from 'node:test';
import { SegmentChecks, VALIDATOR_TIMEOUT_MS, type SegmentVerdict } from '../../lib/engine/segment-checks.ts';
import { SegmentVerifier, webCryptoSha256 } from '../../lib/engine/segment-verifier.ts';
import type { SegmentValidator } from '../../lib/api/config.ts';

// A site's `validateSegment` that never settles must not hold a load: after VALIDATOR_TIMEOUT_MS
// (fake clock) the segment is unverifiable (HTTP, nobody blamed).

const FILE = readFileSync(new URL('../../fixtures/sample/180p/seg_004.ts', import.meta.url));
const SEGMENT = FILE.buffer.slice(FILE.byteOffset, FILE.byteOffset + FILE.byteLength);
const CHECKED = {
  swarmId: 'swarm-180p',
  sequenceNumber: 4,
  url: 'http://origin.test/vod/180p/seg_004.ts',
  playlistUrl: 'http://origin.test/vod/180p/index.m3u8',
  mediaSeconds: 2,
  range: null,
  ciphertext: false,
};

function checksWith(validate: SegmentValidator): SegmentChecks {
  const verifier = new SegmentVerifier({
    manifestUrl: null,
    // The origin has no hash manifest.
    fetchBytes: () => Promise.resolve({ status: 404, body: new ArrayBuffer(0) }),
    nowMs: () => 0,
    delay: () => Promise.resolve(),
    sha256: webCryptoSha256(),
  });
  return new SegmentChecks(validate, verifier, false);
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

describe('validateSegment that never answers (fake clock)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('makes the segment unverifiable after VALIDATOR_TIMEOUT_MS, not a load that waits forever', async () => {
    let asked = 0;
    const checks = checksWith(() => {
      asked += 1;
      return new Promise<boolean>(() => undefined);
    });
    let verdict: SegmentVerdict | null = null;
    void checks.check(CHECKED, SEGMENT).then((value) => (verdict = value));
    await settle();
    assert.equal(asked, 1);
    mock.timers.tick(VALIDATOR_TIMEOUT_MS - 1);
    await settle();
    assert.equal(verdict, null, 'still waiting just before the timeout');
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(verdict, {
      kind: 'unverifiable',
      reason: `validateSegment gave no answer in ${VALIDATOR_TIMEOUT_MS} ms`,
    });
  });

  it('takes an answer that comes in time: true passes, false is corrupt', async () => {
    assert.deepEqual(await checksWith(() => Promise.resolve(true)).check(CHECKED, SEGMENT), {
      kind: 'pass',
      verified: false,
    });
    assert.deepEqual(await checksWith(() => false).check(CHECKED, SEGMENT), {
      kind: 'corrupt',
      problem: 'rejected by validateSegment',
    });
  });
});
