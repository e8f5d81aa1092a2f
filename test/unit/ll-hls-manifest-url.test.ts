import assert from 'node:assert/strict';
import { SegmentVerifier, webCryptoSha256 } from '../../lib/engine/segment-verifier.ts';
import { hashManifestUrlBeside } from '../../lib/shared/hash-manifest.ts';

// LL-HLS blocking playlist reloads carry delivery directives in the playlist URL's query
// (`?_HLS_msn=123&_HLS_part=2`, RFC 8216bis §6.2.5.1), different at every reload (about one a part),
// and hls.js reports that URL as the playlist's (LEVEL_LOADING, frag.baseurl). The hash manifest
// beside the playlist is one file: it must not become a new manifest URL, fetched again and kept
// in memory, at every reload.

describe('the hash manifest of an LL-HLS playlist reloaded with delivery directives', () => {
  it('is one URL without the directives (a signed URL keeps its other parameters)', () => {
    assert.equal(
      hashManifestUrlBeside('https://cdn.example/live/index.m3u8?_HLS_msn=123&_HLS_part=2'),
      'https://cdn.example/live/index.hashes.json',
    );
    assert.equal(
      hashManifestUrlBeside('https://cdn.example/live/index.m3u8?token=x&_HLS_msn=123&_HLS_part=2&_HLS_skip=YES'),
      'https://cdn.example/live/index.hashes.json?token=x',
    );
    assert.equal(
      hashManifestUrlBeside('https://cdn.example/live/index.m3u8?_HLS_msn=9&sig=a_HLS_b'),
      'https://cdn.example/live/index.hashes.json?sig=a_HLS_b',
    );
  });

  it('is fetched once across reloads, not once per reload', async () => {
    const requested: string[] = [];
    const verifier = new SegmentVerifier({
      manifestUrl: null,
      fetchBytes: (url) => {
        requested.push(url);
        return Promise.resolve({ status: 404, body: new ArrayBuffer(0) });
      },
      nowMs: () => 0,
      delay: () => Promise.resolve(),
      sha256: webCryptoSha256(),
    });
    for (let msn = 100; msn < 110; msn += 1) {
      const playlistUrl = `http://origin.test/live/index.m3u8?_HLS_msn=${msn}&_HLS_part=0`;
      verifier.prefetch(playlistUrl);
      const verdict = await verifier.verify(
        { playlistUrl, url: `http://origin.test/live/seg_${msn}.ts`, range: null },
        new ArrayBuffer(188),
      );
      assert.equal(verdict.kind, 'no-manifest');
    }
    assert.deepEqual(requested, ['http://origin.test/live/index.hashes.json']);
    verifier.destroy();
  });
});
