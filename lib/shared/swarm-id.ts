// Swarm identity shared by the browser library and the tracker. Dependency-free apart from a
// hash function; imports nothing from lib/ or tracker/.
import { sha256 } from '@noble/hashes/sha2.js';

/** Length of a swarm id and a peer id on the wire (the WebTorrent protocol's 20-character ids). */
export const WIRE_ID_LENGTH = 20;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PROTOCOL_TAG = 'peercdn/v1';
const PEER_ID_PREFIX = '-PC0001-';

function printable(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[(bytes[i] ?? 0) % ALPHABET.length];
  return out;
}

/**
 * The 20 printable characters naming the swarm of one rendition of one stream.
 * Printable ids survive every tracker's text handling (raw binary SHA-1 strings do not).
 */
export function deriveSwarmId(streamId: string, renditionKey: string): string {
  const input = new TextEncoder().encode(`${PROTOCOL_TAG}\n${streamId}\n${renditionKey}`);
  return printable(sha256(input), WIRE_ID_LENGTH);
}

/** A new random peer id: a client prefix and printable random characters. */
export function createPeerId(random: () => number): string {
  let out = PEER_ID_PREFIX;
  while (out.length < WIRE_ID_LENGTH) out += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return out;
}

/** Hex of a printable id's character codes (the form bittorrent-tracker's client takes). */
export function wireIdToHex(id: string): string {
  let hex = '';
  for (let i = 0; i < id.length; i++) hex += id.charCodeAt(i).toString(16).padStart(2, '0');
  return hex;
}

/** A URL without query and fragment: signed CDN URLs of one stream map to one swarm. */
export function stripUrlQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}
