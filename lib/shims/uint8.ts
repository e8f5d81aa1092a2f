// Bundle alias for `uint8-util`, with the functions bittorrent-tracker's WebSocket client,
// simple-peer and simple-websocket import. uint8-util's browser build calls
// `Uint8Array.prototype.toHex` (Chrome 140+, Firefox 133+, Safari 18.2+): on older browsers that
// the library supports, every tracker socket and peer constructor threw. Plain loops here.
const HEX = '0123456789abcdef';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Lowercase hex of bytes. */
export function arr2hex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += HEX[byte >> 4]! + HEX[byte & 15]!;
  return hex;
}

/** Bytes of a hex string (pairs of hex digits). */
export function hex2arr(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** A string of one character per byte (latin-1) from hex. */
export function hex2bin(hex: string): string {
  let binary = '';
  for (let i = 0; i + 1 < hex.length; i += 2) binary += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return binary;
}

/** Hex of a string's character codes (one byte each). */
export function bin2hex(binary: string): string {
  let hex = '';
  for (let i = 0; i < binary.length; i++) {
    const code = binary.charCodeAt(i) & 0xff;
    hex += HEX[code >> 4]! + HEX[code & 15]!;
  }
  return hex;
}

/** UTF-8 bytes of a string. */
export function text2arr(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A string from UTF-8 bytes. */
export function arr2text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** `size` random bytes from the platform's CSPRNG. */
export function randomBytes(size: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(size));
}
