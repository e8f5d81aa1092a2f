// Bundle alias for `uint8-util`, with the functions bittorrent-tracker's WebSocket client,
// simple-peer and simple-websocket import. uint8-util's browser build calls
// `Uint8Array.prototype.toHex` (Chrome 140+, Firefox 133+, Safari 18.2+): on older browsers that
// the library supports, every tracker socket and peer constructor threw. Plain loops here.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Lowercase hex of bytes. */
export function arr2hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => (byte < 16 ? '0' : '') + byte.toString(16)).join('');
}

/** Bytes of a hex string (pairs of hex digits). */
export function hex2arr(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** A string of one character per byte (latin-1) from hex (ids: 20 bytes). */
export function hex2bin(hex: string): string {
  return String.fromCharCode(...hex2arr(hex));
}

/** Hex of a string's character codes (one byte each). */
export function bin2hex(binary: string): string {
  return arr2hex(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
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
