import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FragmentLoaderContext, PlaylistLevelType } from 'hls.js';
// The ESM build: the CommonJS one is a stub in Node (no MediaSource).
import { M3U8Parser } from 'hls.js/dist/hls.mjs';
import { SegmentChecks } from '../../lib/engine/segment-checks.ts';
import { SegmentVerifier, webCryptoSha256 } from '../../lib/engine/segment-verifier.ts';
import { checkedSegmentOf } from '../../lib/hls/fragment-swarm.ts';

// An AES-128 stream (EXT-X-KEY METHOD=AES-128): hls.js loads each segment encrypted through the
// fragment loader and decrypts it after, so peers hold and send the encrypted bytes, which show no
// container. The structure and media-time checks cannot read them: they must not call an honest
// peer's segment corrupt (a ban), while a hash manifest (of the files as served) still judges them.

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const PLAYLIST = 'http://origin.test/enc/180p/index.m3u8';
// hls.js's `PlaylistLevelType.MAIN` by value (the enum is a type here).
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the enum's value, without importing it
const MAIN = 'main' as PlaylistLevelType;

// The segment as an AES-128 packager writes it: AES-128-CBC with PKCS#7 padding, and with no IV
// attribute the IV is the media sequence number as a 16-byte big-endian integer (RFC 8216 §5.2).
function encryptedSegment(n: number, ivNumber = n): ArrayBuffer {
  const clear = readFileSync(new URL(`../../fixtures/sample/180p/seg_00${n}.ts`, import.meta.url));
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(ivNumber, 12);
  const cipher = createCipheriv('aes-128-cbc', KEY, iv);
  const bytes = Buffer.concat([cipher.update(clear), cipher.final()]);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

const at = (n: number) => ({
  swarmId: 'swarm-enc-180p',
  sequenceNumber: n,
  url: `http://origin.test/enc/180p/seg_00${n}.ts`,
  playlistUrl: PLAYLIST,
  mediaSeconds: 2,
  range: null,
  ciphertext: true,
});

function checksWithManifest(manifest: object | null): SegmentChecks {
  const verifier = new SegmentVerifier({
    manifestUrl: null,
    fetchBytes: () =>
      Promise.resolve(
        manifest === null
          ? { status: 404, body: new ArrayBuffer(0) }
          : { status: 200, body: new TextEncoder().encode(JSON.stringify(manifest)).buffer },
      ),
    nowMs: () => 0,
    delay: () => Promise.resolve(),
    sha256: webCryptoSha256(),
  });
  return new SegmentChecks(null, verifier, false);
}

const sha256 = (data: ArrayBuffer): string => createHash('sha256').update(new Uint8Array(data)).digest('hex');

describe('segment checks of AES-128 encrypted segments (real sample segments, encrypted as packagers do)', () => {
  it('pass an honest peer’s encrypted segment unverified without a manifest, after HTTP segments of the stream', async () => {
    const checks = checksWithManifest(null);
    // Encrypted segment 1 starts with no TS sync byte: the structure check alone would say "corrupt".
    assert.notEqual(new Uint8Array(encryptedSegment(1))[0], 0x47);
    checks.learnFromHttp(at(0), encryptedSegment(0));
    for (const n of [1, 2, 3])
      assert.deepEqual(await checks.check(at(n), encryptedSegment(n)), { kind: 'pass', verified: false });
  });

  it('verify encrypted segments against a manifest of the encrypted files, and blame a flipped byte', async () => {
    const checks = checksWithManifest({
      format: 'peercdn-hashes',
      version: 1,
      renditions: [
        {
          playlist: 'index.m3u8',
          live: false,
          segments: [1, 2].map((n) => ({ uri: `seg_00${n}.ts`, sha256: sha256(encryptedSegment(n)) })),
          initSegments: [],
        },
      ],
    });
    assert.deepEqual(await checks.check(at(1), encryptedSegment(1)), { kind: 'pass', verified: true });
    const flipped = new Uint8Array(encryptedSegment(2));
    flipped[1000] = (flipped[1000] ?? 0) ^ 0xff;
    const verdict = await checks.check(at(2), flipped.buffer);
    assert.equal(verdict.kind, 'corrupt');
  });

  it('learn nothing from HTTP ciphertext, even ciphertext that starts like MPEG-TS: a clear fMP4 segment of the stream still passes', async () => {
    // A stream mixing clear and encrypted segments (clear ads in encrypted content). About one
    // ciphertext in 256 starts with the TS sync byte.
    let iv = 0;
    while (new Uint8Array(encryptedSegment(5, iv))[0] !== 0x47) iv += 1;
    const checks = checksWithManifest(null);
    checks.learnFromHttp(at(5), encryptedSegment(5, iv));
    const box = (type: string, size: number): Uint8Array => {
      const bytes = new Uint8Array(size);
      new DataView(bytes.buffer).setUint32(0, size);
      bytes.set(new TextEncoder().encode(type), 4);
      return bytes;
    };
    const fmp4 = new Uint8Array([...box('styp', 16), ...box('moof', 24), ...box('mdat', 400)]);
    assert.deepEqual(await checks.check({ ...at(6), ciphertext: false }, fmp4.buffer), {
      kind: 'pass',
      verified: false,
    });
  });

  it('still rejects a clear segment’s damage: only encrypted segments skip the structure check', async () => {
    const checks = checksWithManifest(null);
    const clear = readFileSync(new URL('../../fixtures/sample/180p/seg_001.ts', import.meta.url));
    const cut = clear.buffer.slice(clear.byteOffset, clear.byteOffset + clear.byteLength - 100);
    const verdict = await checks.check({ ...at(1), ciphertext: false }, cut);
    assert.equal(verdict.kind, 'corrupt');
  });
});

describe('which fragments are checked as ciphertext (playlists parsed by hls.js)', () => {
  function firstFragmentContext(keyLine: string): FragmentLoaderContext {
    const text = [
      '#EXTM3U',
      '#EXT-X-VERSION:5',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MEDIA-SEQUENCE:7',
      keyLine,
      '#EXTINF:2.0,',
      'seg_007.ts',
      '#EXT-X-ENDLIST',
      '',
    ].join('\n');
    const frag = M3U8Parser.parseLevelPlaylist(text, PLAYLIST, 0, MAIN, 0, null).fragments[0];
    assert.ok(frag !== undefined);
    // The context hls.js's fragment loader builds for a whole segment.
    return {
      frag,
      part: null,
      url: frag.url,
      responseType: 'arraybuffer',
      rangeStart: 0,
      rangeEnd: 0,
    } as unknown as FragmentLoaderContext;
  }
  const encryptedUnder = (keyLine: string): boolean =>
    checkedSegmentOf(firstFragmentContext(keyLine), { swarmId: 's', sequenceNumber: 7 }).ciphertext;

  it('takes AES-128 and AES-256 segments for ciphertext, not SAMPLE-AES ones or clear ones', () => {
    assert.equal(encryptedUnder('#EXT-X-KEY:METHOD=AES-128,URI="key.bin"'), true);
    assert.equal(encryptedUnder('#EXT-X-KEY:METHOD=AES-256,URI="key.bin"'), true);
    assert.equal(encryptedUnder('#EXT-X-KEY:METHOD=SAMPLE-AES,URI="key.bin"'), false);
    assert.equal(encryptedUnder('#EXT-X-KEY:METHOD=NONE'), false);
    assert.equal(encryptedUnder('#EXT-X-DISCONTINUITY'), false);
  });

  it('gives the checks the fragment’s URL, playlist and EXTINF', () => {
    const checked = checkedSegmentOf(firstFragmentContext('#EXT-X-KEY:METHOD=AES-128,URI="key.bin"'), {
      swarmId: 's',
      sequenceNumber: 7,
    });
    assert.deepEqual(checked, {
      swarmId: 's',
      sequenceNumber: 7,
      url: 'http://origin.test/enc/180p/seg_007.ts',
      playlistUrl: PLAYLIST,
      mediaSeconds: 2,
      range: null,
      ciphertext: true,
    });
  });
});
