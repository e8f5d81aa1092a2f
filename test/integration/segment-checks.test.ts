import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import { SegmentChecks } from '../../lib/engine/segment-checks.ts';
import { fetchManifestBytes, SegmentVerifier, webCryptoSha256 } from '../../lib/engine/segment-verifier.ts';
import { segmentTemplate } from '../../bench/sim/sim-origin.ts';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
const TS_PACKET_BYTES = 188;
const sampleSegment = (n: number): ArrayBuffer => {
  const file = readFileSync(`${SAMPLE}180p/seg_${String(n).padStart(3, '0')}.ts`);
  return file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength);
};
const firstHalf = (data: ArrayBuffer): ArrayBuffer =>
  data.slice(0, Math.floor(data.byteLength / TS_PACKET_BYTES / 2) * TS_PACKET_BYTES);

describe('segment checks without a hash manifest: the media-time floor (real origin, no manifest)', () => {
  let origin: OriginServer | undefined;
  let verifier: SegmentVerifier | undefined;
  afterEach(async () => {
    verifier?.destroy();
    await origin?.close();
  });

  async function setup(): Promise<{ checks: SegmentChecks; at: (n: number) => Parameters<SegmentChecks['check']>[0] }> {
    origin = await startOriginServer({});
    // A manifest URL the origin does not serve: the stream has no hashes.
    verifier = new SegmentVerifier({
      manifestUrl: 'no-such.hashes.json',
      fetchBytes: fetchManifestBytes,
      nowMs: () => 0,
      delay: () => Promise.resolve(),
      sha256: webCryptoSha256(),
    });
    const playlistUrl = `${origin.url}/vod/180p/index.m3u8`;
    const checks = new SegmentChecks(null, verifier, false);
    const at = (n: number) => ({
      swarmId: 'swarm-180p',
      sequenceNumber: n,
      url: `${origin?.url ?? ''}/vod/180p/seg_${String(n).padStart(3, '0')}.ts`,
      playlistUrl,
      mediaSeconds: 2,
      range: null,
      ciphertext: false,
    });
    return { checks, at };
  }

  it('sends a truncated segment to HTTP blaming nobody until an HTTP segment confirmed the check, then blames the sender', async () => {
    const { checks, at } = await setup();
    assert.deepEqual(await checks.check(at(3), sampleSegment(3)), { kind: 'pass', verified: false });
    const before = await checks.check(at(4), firstHalf(sampleSegment(4)));
    assert.deepEqual(before, { kind: 'unverifiable', reason: 'PTS span 1.00 s of 2 s' });
    checks.learnFromHttp(at(4), sampleSegment(4));
    const after = await checks.check(at(5), firstHalf(sampleSegment(5)));
    assert.equal(after.kind, 'corrupt');
    assert.deepEqual(await checks.check(at(5), sampleSegment(5)), { kind: 'pass', verified: false });
  });

  it('never applies the check to a stream whose own HTTP segments fail it', async () => {
    const { checks, at } = await setup();
    // A stream whose playlist claims 4 s per segment while its segments hold 2 s.
    const short = new Uint8Array(segmentTemplate(40, 2)).buffer;
    checks.learnFromHttp({ ...at(5), mediaSeconds: 4 }, short);
    assert.deepEqual(await checks.check({ ...at(6), mediaSeconds: 4 }, short), { kind: 'pass', verified: false });
    checks.learnFromHttp(at(7), sampleSegment(7));
    assert.deepEqual(await checks.check({ ...at(8), mediaSeconds: 4 }, short), { kind: 'pass', verified: false });
  });
});
