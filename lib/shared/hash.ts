// Small non-cryptographic string hashing shared by the library and the tracker.

/**
 * FNV-1a over the string's UTF-16 code units, seeded, with MurmurHash3's finaliser for avalanche
 * (FNV alone ranks strings that differ in one character unevenly).
 */
export function hash32(text: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
