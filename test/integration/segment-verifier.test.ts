import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import { LAG_REREADS } from '../../lib/engine/hash-manifest-store.ts';
import { fetchManifestBytes, SegmentVerifier, webCryptoSha256 } from '../../lib/engine/segment-verifier.ts';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));
const segmentBytes = (name: string): ArrayBuffer => {
  const file = readFileSync(`${SAMPLE}${name}`);
  return file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength);
};
const flipped = (data: ArrayBuffer, at: number): ArrayBuffer => {
  const copy = new Uint8Array(data.slice(0));
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy.buffer;
};

describe('segment verification against the origin’s hash manifests (WebCrypto)', function () {
  this.timeout(20_000);
  let clockMs = 0;
  const origins: OriginServer[] = [];
  const verifiers: SegmentVerifier[] = [];
  afterEach(async () => {
    for (const verifier of verifiers.splice(0)) verifier.destroy();
    await Promise.all(origins.splice(0).map((origin) => origin.close()));
  });

  async function setup(options: Parameters<typeof startOriginServer>[0] = {}, manifestUrl: string | null = null) {
    clockMs = 1_000_000;
    const origin = await startOriginServer({ nowMs: () => clockMs, ...options });
    origins.push(origin);
    const delays: number[] = [];
    const verifier = new SegmentVerifier({
      manifestUrl,
      fetchBytes: fetchManifestBytes,
      nowMs: () => clockMs,
      // The wait between re-reads of a lagging manifest: the origin's live window moves meanwhile.
      delay: (ms) => {
        delays.push(ms);
        clockMs += 2000;
        return Promise.resolve();
      },
      sha256: webCryptoSha256(),
    });
    verifiers.push(verifier);
    return { origin, verifier, delays };
  }

  it('verifies intact segments and names the mismatch of a segment with one flipped byte, reading the manifest once', async () => {
    const { origin, verifier } = await setup();
    const playlistUrl = `${origin.url}/vod/180p/index.m3u8`;
    const at = (n: string) => ({ playlistUrl, url: `${origin.url}/vod/180p/${n}?token=abc`, range: null });
    assert.deepEqual(await verifier.verify(at('seg_004.ts'), segmentBytes('180p/seg_004.ts')), { kind: 'match' });
    const bad = await verifier.verify(at('seg_004.ts'), flipped(segmentBytes('180p/seg_004.ts'), 5000));
    assert.equal(bad.kind, 'mismatch');
    const swapped = await verifier.verify(at('seg_005.ts'), segmentBytes('180p/seg_004.ts'));
    assert.equal(swapped.kind, 'mismatch', 'another segment’s intact bytes do not pass');
    assert.equal(verifier.canVerify(playlistUrl), true);
    assert.equal(origin.counts().byPath['/vod/180p/index.hashes.json'] !== undefined, true);
    assert.equal(origin.counts().requests, 1, 'one manifest request for three checks');
  });

  it('calls a segment the VOD manifest does not list unverifiable at once, blaming nobody', async () => {
    const { origin, verifier, delays } = await setup();
    const verdict = await verifier.verify(
      { playlistUrl: `${origin.url}/vod/180p/index.m3u8`, url: `${origin.url}/vod/180p/seg_999.ts`, range: null },
      segmentBytes('180p/seg_004.ts'),
    );
    assert.equal(verdict.kind, 'unverifiable');
    assert.deepEqual(delays, []);
  });

  it('re-reads a live manifest that lags the playlist and verifies the segment once it is listed', async () => {
    const { origin, verifier, delays } = await setup({ hashManifestLagSegments: 1 });
    // Window [0, 6): the manifest lists 0..4. Segment 5 is the playlist's newest.
    const verdict = await verifier.verify(
      { playlistUrl: `${origin.url}/live/180p/index.m3u8`, url: `${origin.url}/live/180p/seg_5.ts`, range: null },
      segmentBytes('180p/seg_005.ts'),
    );
    assert.deepEqual(verdict, { kind: 'match' });
    assert.equal(delays.length, 1);
  });

  it('gives a live segment up as unverifiable after a few re-reads when the manifest never catches up', async () => {
    const { origin, verifier, delays } = await setup({ hashManifestLagSegments: 1 });
    const verdict = await verifier.verify(
      { playlistUrl: `${origin.url}/live/180p/index.m3u8`, url: `${origin.url}/live/180p/seg_900.ts`, range: null },
      segmentBytes('180p/seg_000.ts'),
    );
    assert.equal(verdict.kind, 'unverifiable');
    assert.equal(delays.length, LAG_REREADS);
    assert.equal(origin.counts().byPath['/live/180p/index.hashes.json'] !== undefined, true);
  });

  it('reports no manifest when the origin has none, and reads a configured manifest URL instead of the convention', async () => {
    const without = await setup({ hashManifests: false });
    const location = {
      playlistUrl: `${without.origin.url}/vod/180p/index.m3u8`,
      url: `${without.origin.url}/vod/180p/seg_001.ts`,
      range: null,
    };
    assert.deepEqual(await without.verifier.verify(location, segmentBytes('180p/seg_001.ts')), { kind: 'no-manifest' });
    assert.equal(without.verifier.canVerify(location.playlistUrl), false);
    // A manifest for the whole stream elsewhere: the 240p manifest's entries are 240p segments.
    const configured = await setup({}, '../240p/index.hashes.json');
    const at240 = {
      playlistUrl: `${configured.origin.url}/vod/180p/index.m3u8`,
      url: `${configured.origin.url}/vod/240p/seg_001.ts`,
      range: null,
    };
    assert.deepEqual(await configured.verifier.verify(at240, segmentBytes('240p/seg_001.ts')), { kind: 'match' });
  });

  it('cannot check anything without WebCrypto and says so instead of passing bytes', async () => {
    const { origin } = await setup();
    const verifier = new SegmentVerifier({
      manifestUrl: null,
      fetchBytes: fetchManifestBytes,
      nowMs: () => 0,
      delay: () => Promise.resolve(),
      sha256: null,
    });
    verifiers.push(verifier);
    const location = {
      playlistUrl: `${origin.url}/vod/180p/index.m3u8`,
      url: `${origin.url}/vod/180p/seg_001.ts`,
      range: null,
    };
    assert.deepEqual(await verifier.verify(location, flipped(segmentBytes('180p/seg_001.ts'), 0)), {
      kind: 'no-manifest',
    });
    assert.equal(verifier.canVerify(location.playlistUrl), false);
  });

  it('keys byte-range segments by their range, and refuses a broken manifest rather than trusting bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peercdn-manifest-'));
    try {
      const whole = Buffer.from(segmentBytes('180p/seg_002.ts'));
      const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
      const manifest = {
        format: 'peercdn-hashes',
        version: 1,
        renditions: [
          {
            playlist: 'index.m3u8',
            live: false,
            segments: [
              { uri: 'all.ts', range: { offset: 0, length: 188 * 100 }, sha256: sha(whole.subarray(0, 188 * 100)) },
              {
                uri: 'all.ts',
                range: { offset: 188 * 100, length: 188 * 50 },
                sha256: sha(whole.subarray(188 * 100, 188 * 150)),
              },
            ],
            initSegments: [],
          },
        ],
      };
      writeFileSync(join(dir, 'index.hashes.json'), JSON.stringify(manifest));
      writeFileSync(join(dir, 'broken.hashes.json'), JSON.stringify({ ...manifest, version: 9 }));
      const { origin, verifier } = await setup({ staticRoutes: { '/ranges/': dir } });
      const second = {
        playlistUrl: `${origin.url}/ranges/index.m3u8`,
        url: `${origin.url}/ranges/all.ts`,
        range: { offset: 188 * 100, length: 188 * 50 },
      };
      const bytes = (from: number, to: number): ArrayBuffer =>
        whole.buffer.slice(whole.byteOffset + from, whole.byteOffset + to);
      assert.deepEqual(await verifier.verify(second, bytes(188 * 100, 188 * 150)), { kind: 'match' });
      assert.equal(
        (await verifier.verify(second, bytes(0, 188 * 50))).kind,
        'mismatch',
        'the first range’s bytes are not the second’s',
      );
      const other = { ...second, range: { offset: 0, length: 188 * 50 } };
      assert.equal((await verifier.verify(other, bytes(0, 188 * 50))).kind, 'unverifiable', 'an unlisted range');
      const broken = await verifier.verify(
        { ...second, playlistUrl: `${origin.url}/ranges/broken.m3u8` },
        bytes(188 * 100, 188 * 150),
      );
      assert.equal(broken.kind, 'unverifiable');
      assert.match(broken.kind === 'unverifiable' ? broken.reason : '', /version 9 is not supported/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
