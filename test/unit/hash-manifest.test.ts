import assert from 'node:assert/strict';
import { hashManifestUrlBeside, MAX_HASH_MANIFEST_BYTES, parseHashManifest } from '../../lib/shared/hash-manifest.ts';

const HEX = 'ab'.repeat(32);
const valid = () => ({
  format: 'peercdn-hashes',
  version: 1,
  renditions: [
    {
      playlist: '180p/index.m3u8',
      live: false,
      segments: [
        { uri: '180p/seg_000.ts', sha256: HEX },
        { uri: '180p/all.mp4', range: { offset: 720, length: 1000 }, sha256: HEX },
      ],
      initSegments: [{ uri: '180p/init.mp4', sha256: HEX }],
    },
  ],
});

describe('hash manifest: strict parsing of untrusted text', () => {
  it('parses a version-1 manifest with whole-file and byte-range segments and init segments', () => {
    const result = parseHashManifest(JSON.stringify(valid()));
    assert.equal(result.ok, true);
    assert.deepEqual(result.ok && result.manifest, valid());
    const bytes = new TextEncoder().encode(JSON.stringify(valid()));
    assert.equal(parseHashManifest(bytes.buffer).ok, true, 'bytes from the network parse the same');
  });

  const broken: [string, (manifest: ReturnType<typeof valid>) => unknown, RegExp][] = [
    ['another format', (m) => ({ ...m, format: 'other' }), /format/],
    ['a future version', (m) => ({ ...m, version: 2 }), /version 2 is not supported/],
    ['an unknown top-level field', (m) => ({ ...m, extra: 1 }), /unknown field "extra"/],
    ['a missing field', ({ renditions: _r, ...m }) => m, /lacks "renditions"/],
    [
      'an uppercase hash',
      (m) => (((m.renditions[0]!.segments[0] as { sha256: string }).sha256 = HEX.toUpperCase()), m),
      /sha256/,
    ],
    ['a short hash', (m) => (((m.renditions[0]!.segments[0] as { sha256: string }).sha256 = 'ab'), m), /sha256/],
    [
      'a negative range offset',
      (m) => (((m.renditions[0]!.segments[1] as { range: { offset: number } }).range.offset = -1), m),
      /range.offset/,
    ],
    [
      'an empty range',
      (m) => (((m.renditions[0]!.segments[1] as { range: { length: number } }).range.length = 0), m),
      /range.length/,
    ],
    ['a URI with a space', (m) => (((m.renditions[0]!.segments[0] as { uri: string }).uri = 'a b.ts'), m), /URI/],
    ['live that is not a boolean', (m) => (((m.renditions[0] as { live: unknown }).live = 'yes'), m), /live/],
    [
      'segments that are not an array',
      (m) => (((m.renditions[0] as { segments: unknown }).segments = {}), m),
      /segments must be an array/,
    ],
  ];
  for (const [name, breakIt, reason] of broken) {
    it(`rejects ${name}, naming the problem`, () => {
      const result = parseHashManifest(JSON.stringify(breakIt(valid())));
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.reason, reason);
    });
  }

  it('rejects text that is not JSON, invalid UTF-8, and text over the size bound before parsing it', () => {
    assert.deepEqual(parseHashManifest('{"format":'), { ok: false, reason: 'manifest is not JSON text' });
    assert.equal(parseHashManifest(new Uint8Array([0x7b, 0xff, 0x7d]).buffer).ok, false);
    const huge = parseHashManifest(' '.repeat(MAX_HASH_MANIFEST_BYTES + 1));
    assert.match(huge.ok ? '' : huge.reason, /exceeds/);
  });
});

describe('hash manifest: where it sits by convention', () => {
  it('replaces the playlist extension and keeps the query (signed URLs)', () => {
    assert.equal(
      hashManifestUrlBeside('https://cdn.example/s/180p/index.m3u8'),
      'https://cdn.example/s/180p/index.hashes.json',
    );
    assert.equal(
      hashManifestUrlBeside('https://cdn.example/s/index.m3u8?token=x#frag'),
      'https://cdn.example/s/index.hashes.json?token=x',
    );
    assert.equal(hashManifestUrlBeside('https://cdn.example/s/playlist'), 'https://cdn.example/s/playlist.hashes.json');
  });
});
