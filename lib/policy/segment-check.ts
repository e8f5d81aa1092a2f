// Cheap structural checks of a segment received from a peer (the origin is trusted; peers are not).

/** MPEG-TS: fixed 188-byte packets, each starting with the sync byte 0x47 (ISO/IEC 13818-1). */
export const TS_PACKET_BYTES = 188;
const TS_SYNC_BYTE = 0x47;

/** Whether bytes have the shape of an MPEG-TS segment (used to learn a swarm's format from HTTP). */
export function looksLikeMpegTs(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes.byteLength % TS_PACKET_BYTES === 0 && bytes[0] === TS_SYNC_BYTE;
}

/**
 * What is wrong with a segment that should be MPEG-TS, or null: a length that is not whole
 * packets, or a packet without its sync byte (truncation, bit flips, bytes from another file).
 */
export function mpegTsProblem(bytes: Uint8Array): string | null {
  if (bytes.byteLength === 0 || bytes.byteLength % TS_PACKET_BYTES !== 0) {
    return `${bytes.byteLength} bytes is not a whole number of ${TS_PACKET_BYTES}-byte packets`;
  }
  for (let offset = 0; offset < bytes.byteLength; offset += TS_PACKET_BYTES) {
    if (bytes[offset] !== TS_SYNC_BYTE) return `packet at byte ${offset} has no sync byte`;
  }
  return null;
}
