// How a hostile viewer corrupts the segments it serves (pure, seeded; runs in Node and, bundled,
// in the browser). Each mode keeps enough shape to get past weaker checks.
export type CorruptionMode =
  /** A few payload bytes flipped: whole packets, sync bytes and headers intact. */
  | 'flip'
  /** Every TS packet's 4-byte header kept, its payload replaced by noise. */
  | 'garbage-payload'
  /** Cut after half the packets (at a packet boundary). */
  | 'truncate'
  /** Noise of the same length. */
  | 'random'
  /** Unchanged: the forgery is in what is handed over (e.g. another segment's bytes for this one). */
  | 'intact';

export const CORRUPTION_MODES: readonly CorruptionMode[] = ['flip', 'garbage-payload', 'truncate', 'random'];
const TS_PACKET_BYTES = 188;

function noise(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) & 0xff;
  };
}

/** A corrupted copy of `data` (the original is not touched). */
export function corruptSegment(data: ArrayBuffer, mode: CorruptionMode, seed = 1): ArrayBuffer {
  const bytes = new Uint8Array(data.slice(0));
  const next = noise(seed);
  const packets = Math.floor(bytes.byteLength / TS_PACKET_BYTES);
  switch (mode) {
    case 'flip':
      for (let packet = 3; packet < packets; packet += Math.max(1, Math.floor(packets / 8))) {
        const at = packet * TS_PACKET_BYTES + 100;
        bytes[at] = (bytes[at] ?? 0) ^ 0x5a;
      }
      return bytes.buffer;
    case 'garbage-payload':
      for (let packet = 0; packet < packets; packet++) {
        for (let at = packet * TS_PACKET_BYTES + 4; at < (packet + 1) * TS_PACKET_BYTES; at++) bytes[at] = next();
      }
      return bytes.buffer;
    case 'truncate':
      return bytes.buffer.slice(0, Math.floor(packets / 2) * TS_PACKET_BYTES);
    case 'random':
      for (let at = 0; at < bytes.byteLength; at++) bytes[at] = next();
      bytes[0] = 0x00;
      return bytes.buffer;
    case 'intact':
      return bytes.buffer;
  }
}
