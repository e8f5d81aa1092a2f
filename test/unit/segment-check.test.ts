import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  fmp4Problem,
  formatOf,
  looksLikeMpegTs,
  mediaTimeProblem,
  mpegTsTimestampSpanSeconds,
  mpegTsProblem,
  packedAudioProblem,
  segmentStructureProblem,
  TS_PACKET_BYTES,
} from '../../lib/policy/segment-check.ts';
import { segmentTemplate, writePesStart } from '../../bench/sim/sim-origin.ts';

const segment = (): Uint8Array =>
  new Uint8Array(readFileSync(fileURLToPath(new URL('../../fixtures/sample/180p/seg_000.ts', import.meta.url))));

describe('segment checks for what peers send', () => {
  it('passes a real MPEG-TS segment of the sample', () => {
    const bytes = segment();
    assert.equal(looksLikeMpegTs(bytes), true);
    assert.equal(mpegTsProblem(bytes), null);
  });

  it('finds a packet whose sync byte was overwritten', () => {
    const bytes = segment();
    bytes[TS_PACKET_BYTES * 7] = 0x00;
    assert.equal(mpegTsProblem(bytes), `no sync byte at ${TS_PACKET_BYTES * 7}`);
  });

  it('finds a truncated segment', () => {
    const bytes = segment().subarray(0, TS_PACKET_BYTES * 10 + 5);
    assert.match(mpegTsProblem(bytes) ?? '', /^1885 B: not whole 188-byte packets$/);
    assert.match(mpegTsProblem(new Uint8Array(0)) ?? '', /not whole/);
  });

  it('does not take other formats for MPEG-TS', () => {
    assert.equal(looksLikeMpegTs(new TextEncoder().encode('....ftypisom'.padEnd(188 * 2, ' '))), false);
    assert.equal(looksLikeMpegTs(new Uint8Array(0)), false);
    assert.equal(looksLikeMpegTs(segment().subarray(0, 100)), false);
  });
});

/** An ISO BMFF box: 32-bit size, four-character type, payload. */
function box(type: string, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(8 + payload.byteLength);
  new DataView(out.buffer).setUint32(0, out.byteLength);
  out.set(new TextEncoder().encode(type), 4);
  out.set(payload, 8);
  return out;
}
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
};
const fmp4Segment = (): Uint8Array =>
  concat(
    box('styp', new Uint8Array(8)),
    box('moof', box('mfhd', new Uint8Array(8))),
    box('mdat', new Uint8Array(1000).fill(7)),
  );

describe('structural checks from the first segment (no HTTP segment needed)', () => {
  it('passes well-formed MPEG-TS and fMP4 segments and tells their formats apart', () => {
    assert.equal(segmentStructureProblem(segment(), null), null);
    assert.equal(segmentStructureProblem(fmp4Segment(), null), null);
    assert.equal(formatOf(segment()), 'mpegts');
    assert.equal(formatOf(fmp4Segment()), 'fmp4');
  });

  it('rejects random bytes, a segment of the other format, and damage flagged in a TS packet header', () => {
    const random = new Uint8Array(188 * 20).map((_, i) => (i * 7919 + 13) % 251);
    random[0] = 0x12;
    assert.equal(segmentStructureProblem(random, null), 'unknown format');
    assert.equal(segmentStructureProblem(fmp4Segment(), 'mpegts'), 'fmp4 in a mpegts stream');
    const damaged = segment();
    damaged[188 * 3 + 1] = (damaged[188 * 3 + 1] ?? 0) | 0x80;
    assert.equal(segmentStructureProblem(damaged, 'mpegts'), `damage flag at ${188 * 3}`);
  });

  it('rejects an fMP4 segment cut short, with a box size that lies, or without moof then mdat', () => {
    const whole = fmp4Segment();
    assert.match(fmp4Problem(whole.subarray(0, whole.byteLength - 10)) ?? '', /box mdat at \d+: 1008 B/);
    const lying = whole.slice(0);
    new DataView(lying.buffer).setUint32(0, 4);
    assert.match(fmp4Problem(lying) ?? '', /box styp at 0: 4 B/);
    assert.equal(fmp4Problem(concat(box('styp'), box('mdat', new Uint8Array(10)))), 'no moof then mdat');
    assert.match(fmp4Problem(concat(whole, new Uint8Array(5))) ?? '', /stray bytes at /);
    const unprintable = whole.slice(0);
    unprintable[4] = 0x01;
    assert.match(fmp4Problem(unprintable) ?? '', /bad box type at 0/);
  });
});

describe('media time: the timestamps of a TS segment cover its playlist duration', () => {
  it('passes every segment of the sample (2-s EXTINF, timestamps over 1.97 s)', () => {
    for (const n of [0, 1, 14, 29]) {
      const bytes = new Uint8Array(
        readFileSync(
          fileURLToPath(new URL(`../../fixtures/sample/240p/seg_${String(n).padStart(3, '0')}.ts`, import.meta.url)),
        ),
      );
      const span = mpegTsTimestampSpanSeconds(bytes) ?? 0;
      assert.ok(span > 1.9 && span < 2, `segment ${n}: ${span} s`);
      assert.equal(mediaTimeProblem(bytes, 2), null);
    }
  });

  it('rejects a segment cut after half its packets, and packets whose payload is noise', () => {
    const bytes = segment();
    const half = bytes.subarray(0, Math.floor(bytes.byteLength / TS_PACKET_BYTES / 2) * TS_PACKET_BYTES);
    assert.equal(mpegTsProblem(half), null, 'the container check cannot see it');
    assert.match(mediaTimeProblem(half, 2) ?? '', /^PTS span 1\.05 s of 2 s$/);
    const noise = bytes.slice(0);
    let state = 7;
    for (let at = 0; at < noise.byteLength; at++) {
      if (at % TS_PACKET_BYTES < 4) continue;
      state = (state * 1103515245 + 12345) % 2 ** 31;
      noise[at] = state >> 23;
    }
    assert.equal(segmentStructureProblem(noise, 'mpegts'), null, 'the container check cannot see it');
    assert.equal(mediaTimeProblem(noise, 2), 'no PES timestamps');
  });

  it('allows the last frames a quarter of the duration (at least 0.5 s), and measures across the 33-bit wrap', () => {
    const template = segmentTemplate(20, 2);
    assert.equal(mediaTimeProblem(template, 2), null);
    assert.equal(mediaTimeProblem(template, 2.5), null, '1.96 s of 2.5 s is within 0.625 s');
    assert.match(mediaTimeProblem(template, 2.7) ?? '', /PTS span 1\.96 s of 2\.7 s/);
    assert.equal(mediaTimeProblem(template, 0.3), null, 'longer than the playlist says is fine');
    const wrapped = segmentTemplate(20, 2);
    writePesStart(wrapped, 0, 2 ** 33 - 45_000);
    writePesStart(wrapped, 19 * TS_PACKET_BYTES, 45_000);
    assert.equal(mpegTsTimestampSpanSeconds(wrapped), 1);
  });

  it('leaves fMP4 to its box check', () => {
    assert.equal(mediaTimeProblem(fmp4Segment(), 2), null);
  });
});

// Packed audio (RFC 8216 §3.4), as packagers write audio-only renditions in TS streams (e.g. `.aac`
// files): an ID3 tag holding the PRIV timestamp, then the ADTS frames. Built from the sample's own
// AAC: the ADTS frames of a TS segment's audio PES.
function adtsOfTsSegment(ts: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let audioPid = -1;
  for (let at = 0; at + TS_PACKET_BYTES <= ts.byteLength; at += TS_PACKET_BYTES) {
    const byte = (i: number): number => ts[at + i] ?? 0;
    const pid = ((byte(1) & 0x1f) << 8) | byte(2);
    const payloadStart = (byte(1) & 0x40) > 0;
    let payload = 4 + ((byte(3) & 0x20) > 0 ? 1 + byte(4) : 0);
    // The first PES with an MPEG audio stream id (0xC0-0xDF) names the audio PID.
    if (payloadStart && byte(payload) + byte(payload + 1) === 0 && byte(payload + 2) === 1) {
      const streamId = byte(payload + 3);
      if (audioPid < 0 && streamId >= 0xc0 && streamId <= 0xdf) audioPid = pid;
      if (pid === audioPid) payload += 9 + byte(payload + 8);
    }
    if (pid === audioPid && (byte(3) & 0x10) > 0) parts.push(ts.subarray(at + payload, at + TS_PACKET_BYTES));
  }
  return concat(...parts);
}

// ID3v2.4 with one PRIV frame "com.apple.streaming.transportStreamTimestamp" (an 8-byte 33-bit PTS).
function id3Timestamp(pts: number): Uint8Array {
  const owner = new TextEncoder().encode('com.apple.streaming.transportStreamTimestamp\0');
  const frameBody = concat(
    owner,
    new Uint8Array([0, 0, 0, pts > 2 ** 32 ? 1 : 0, ...[24, 16, 8, 0].map((s) => (pts >>> s) & 0xff)]),
  );
  const synchsafe = (n: number): number[] => [21, 14, 7, 0].map((s) => (n >>> s) & 0x7f);
  const frame = concat(
    new TextEncoder().encode('PRIV'),
    new Uint8Array([...synchsafe(frameBody.byteLength), 0, 0]),
    frameBody,
  );
  return concat(new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, ...synchsafe(frame.byteLength)]), frame);
}

describe('packed audio (ID3 timestamp + ADTS frames of the sample’s AAC)', () => {
  const packed = (): Uint8Array => concat(id3Timestamp(126_000), adtsOfTsSegment(segment()));

  it('passes a packed audio segment from the first segment, and tells it from TS and fMP4', () => {
    const bytes = packed();
    assert.equal(bytes[id3Timestamp(0).byteLength], 0xff, 'ADTS sync right after the tag');
    assert.ok(bytes.byteLength > 5_000);
    assert.equal(formatOf(bytes), 'packed-audio');
    assert.equal(segmentStructureProblem(bytes, null), null);
    assert.equal(segmentStructureProblem(bytes, 'packed-audio'), null);
    assert.equal(mediaTimeProblem(bytes, 2), null);
  });

  it('rejects a cut tag, bytes after the tag that are no audio frames, and other formats in a packed-audio stream', () => {
    const bytes = packed();
    assert.equal(packedAudioProblem(bytes.subarray(0, 20)), `no audio frame sync at ${id3Timestamp(0).byteLength}`);
    assert.equal(packedAudioProblem(bytes.subarray(0, 8)), 'no audio frame sync at 10');
    const noise = concat(id3Timestamp(0), new Uint8Array(2_000).fill(0x42));
    assert.equal(segmentStructureProblem(noise, null), `no audio frame sync at ${id3Timestamp(0).byteLength}`);
    assert.equal(segmentStructureProblem(segment(), 'packed-audio'), 'mpegts in a packed-audio stream');
    assert.equal(segmentStructureProblem(bytes, 'mpegts'), 'packed-audio in a mpegts stream');
  });
});
