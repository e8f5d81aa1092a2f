// Cheap structural checks of a segment received from a peer (the origin is trusted; peers are not):
// MPEG-TS packets, fMP4 boxes, packed audio. Pure functions of the bytes.

/** MPEG-TS: fixed 188-byte packets, each starting with the sync byte 0x47 (ISO/IEC 13818-1). */
export const TS_PACKET_BYTES = 188;
const TS_SYNC_BYTE = 0x47;
// The transport_error_indicator bit (ISO/IEC 13818-1 §2.4.3.2): set only by a demodulator that
// found an uncorrectable error; a packager never sets it, so a set bit means damaged bytes.
const TS_TRANSPORT_ERROR_BIT = 0x80;

/** Whether bytes have the shape of an MPEG-TS segment (used to learn a swarm's format from HTTP). */
export function looksLikeMpegTs(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes.byteLength % TS_PACKET_BYTES === 0 && bytes[0] === TS_SYNC_BYTE;
}

/**
 * What is wrong with a segment that should be MPEG-TS, or null: a length that is not whole
 * packets, a packet without its sync byte (truncation, bit flips, bytes from another file), or one
 * marked as damaged.
 */
export function mpegTsProblem(bytes: Uint8Array): string | null {
  if (bytes.byteLength === 0 || bytes.byteLength % TS_PACKET_BYTES !== 0) {
    return `${bytes.byteLength} B: not whole ${TS_PACKET_BYTES}-byte packets`;
  }
  for (let offset = 0; offset < bytes.byteLength; offset += TS_PACKET_BYTES) {
    if (bytes[offset] !== TS_SYNC_BYTE) return `no sync byte at ${offset}`;
    if (((bytes[offset + 1] ?? 0) & TS_TRANSPORT_ERROR_BIT) !== 0) return `damage flag at ${offset}`;
  }
  return null;
}

/** Whether bytes start like an ISO BMFF (fMP4/CMAF) media segment: a known first box. */
export function looksLikeFmp4(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 8 && FMP4_FIRST_BOXES.has(boxType(bytes, 0));
}

const FMP4_FIRST_BOXES = new Set(['styp', 'sidx', 'moof', 'emsg', 'prft', 'ftyp']);

const boxType = (bytes: Uint8Array, offset: number): string =>
  String.fromCharCode(bytes[offset + 4] ?? 0, bytes[offset + 5] ?? 0, bytes[offset + 6] ?? 0, bytes[offset + 7] ?? 0);

/**
 * What is wrong with an fMP4 media segment (ISO/IEC 14496-12), or null: top-level boxes whose
 * sizes do not add up to the length exactly, a type that is not four printable characters, or no
 * `moof` followed by an `mdat` (truncation, bytes from another file, random bytes).
 */
export function fmp4Problem(bytes: Uint8Array): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let sawMoof = false;
  let sawMdatAfterMoof = false;
  while (offset < bytes.byteLength) {
    if (bytes.byteLength - offset < 8) return `stray bytes at ${offset}`;
    let size = view.getUint32(offset);
    const type = boxType(bytes, offset);
    if (!/^[\x20-\x7e]{4}$/.test(type)) return `bad box type at ${offset}`;
    if (size === 1) {
      if (bytes.byteLength - offset < 16) return `box ${type} cut at ${offset}`;
      size = Number(view.getBigUint64(offset + 8));
    } else if (size === 0) {
      size = bytes.byteLength - offset;
    }
    if (size < 8 || offset + size > bytes.byteLength) return `box ${type} at ${offset}: ${size} B`;
    if (type === 'moof') sawMoof = true;
    if (type === 'mdat' && sawMoof) sawMdatAfterMoof = true;
    offset += size;
  }
  return sawMdatAfterMoof ? null : 'no moof then mdat';
}

// An ID3v2 tag header ("ID3").
const startsId3 = (bytes: Uint8Array, offset: number): boolean =>
  bytes[offset] === 0x49 && bytes[offset + 1] === 0x44 && bytes[offset + 2] === 0x33;

/**
 * What is wrong with a packed audio segment (RFC 8216 §3.4: an ID3 tag carrying its timestamp,
 * then ADTS AAC, MP3, AC-3 or E-AC-3 frames), or null: no frame sync right after the ID3 tags
 * (a cut tag, a size that lies, bytes from another file, random bytes).
 */
export function packedAudioProblem(bytes: Uint8Array): string | null {
  let offset = 0;
  // An ID3v2 tag: a 10-byte header ending in its size as four 7-bit bytes, a 10-byte footer if flagged.
  while (startsId3(bytes, offset)) {
    const size = bytes.subarray(offset + 6, offset + 10).reduce((sum, byte) => sum * 128 + byte, 0);
    offset += size + (((bytes[offset + 5] ?? 0) & 0x10) > 0 ? 20 : 10);
  }
  const first = bytes[offset] ?? 0;
  const second = bytes[offset + 1] ?? 0;
  // MPEG audio (ADTS or MP3): 11 set sync bits; AC-3 and E-AC-3: the sync word 0x0B77.
  const sync = (first === 0xff && second >= 0xe0) || (first === 0x0b && second === 0x77);
  return sync ? null : `no audio frame sync at ${offset}`;
}

/** The container formats the structural check knows. */
export type SegmentFormat = 'mpegts' | 'fmp4' | 'packed-audio';

/** The format a segment's first bytes claim, or null for none. */
export function formatOf(bytes: Uint8Array): SegmentFormat | null {
  if (bytes.byteLength > 0 && bytes[0] === TS_SYNC_BYTE) return 'mpegts';
  // Packed audio starts with the ID3 tag of its timestamp.
  if (startsId3(bytes, 0)) return 'packed-audio';
  return looksLikeFmp4(bytes) ? 'fmp4' : null;
}

/**
 * Structural check of a segment from a peer, from the very first segment: it must be a
 * well-formed MPEG-TS, fMP4 or packed audio segment, and of the stream's format when that is known (learnt from
 * HTTP segments). Catches random bytes, truncation and damage to the container; not a damaged
 * payload inside well-formed packets (hash manifests, or hls.js's own parsing, catch that).
 */
export function segmentStructureProblem(bytes: Uint8Array, knownFormat: SegmentFormat | null): string | null {
  const format = formatOf(bytes);
  if (format === null) return 'unknown format';
  if (knownFormat !== null && format !== knownFormat) return `${format} in a ${knownFormat} stream`;
  if (format === 'packed-audio') return packedAudioProblem(bytes);
  return format === 'fmp4' ? fmp4Problem(bytes) : mpegTsProblem(bytes);
}

// PES timestamps tick at 90 kHz and wrap at 2^33 (ISO/IEC 13818-1 §2.4.3.7).
const PTS_HZ = 90_000;
const PTS_WRAP = 2 ** 33;

/**
 * Seconds between the earliest and the latest PES timestamp (PTS) of an MPEG-TS segment, across its
 * elementary streams, or null when no packet starts a PES with one. Handles the 33-bit wrap.
 */
export function mpegTsTimestampSpanSeconds(bytes: Uint8Array): number | null {
  let first = -1;
  let low = 0;
  let high = 0;
  for (let at = 0; at + TS_PACKET_BYTES <= bytes.byteLength; at += TS_PACKET_BYTES) {
    const byte = (i: number): number => bytes[at + i] ?? 0;
    // A payload that starts a PES (payload_unit_start_indicator), after any adaptation field.
    const pes = 4 + ((byte(3) & 0x20) > 0 ? 1 + byte(4) : 0);
    if ((byte(1) & 0x40) === 0 || (byte(3) & 0x10) === 0 || pes > 174) continue;
    if (byte(pes) + byte(pes + 1) !== 0 || byte(pes + 2) !== 1 || byte(pes + 7) < 0x80) continue;
    const pts =
      ((byte(pes + 9) >> 1) & 7) * 2 ** 30 +
      byte(pes + 10) * 2 ** 22 +
      (byte(pes + 11) >> 1) * 2 ** 15 +
      byte(pes + 12) * 128 +
      (byte(pes + 13) >> 1);
    if (first < 0) first = pts;
    // Relative to the first, across the 33-bit wrap: within ±2^32 ticks.
    const since = ((pts - first + PTS_WRAP * 1.5) % PTS_WRAP) - PTS_WRAP / 2;
    low = Math.min(low, since);
    high = Math.max(high, since);
  }
  return first < 0 ? null : (high - low) / PTS_HZ;
}

/**
 * What is wrong with the media time an MPEG-TS segment covers, or null: its timestamps must span the
 * playlist's duration for it, less a quarter (at least half a second) for the last frames. Catches
 * a segment cut short at a packet boundary and packets whose payload is noise, which the container
 * check cannot see. Other formats pass (fMP4 truncation shows in its box sizes).
 */
export function mediaTimeProblem(bytes: Uint8Array, mediaSeconds: number): string | null {
  if (formatOf(bytes) !== 'mpegts') return null;
  const span = mpegTsTimestampSpanSeconds(bytes);
  if (span === null) return 'no PES timestamps';
  return span + Math.max(0.5, mediaSeconds / 4) < mediaSeconds
    ? `PTS span ${span.toFixed(2)} s of ${mediaSeconds} s`
    : null;
}
