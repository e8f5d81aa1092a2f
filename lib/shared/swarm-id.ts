// Swarm identity shared by the browser library and the tracker. Dependency-free; imports
// nothing from lib/ or tracker/.
import { hash32 } from './hash.ts';

/** Length of a swarm id and a peer id on the wire (the WebTorrent protocol's 20-character ids). */
export const WIRE_ID_LENGTH = 20;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PROTOCOL_TAG = 'peercdn/v1';
const PEER_ID_PREFIX = '-PC0001-';

/**
 * The 20 printable characters naming the swarm of one rendition of one stream.
 * Printable ids survive every tracker's text handling (raw binary SHA-1 strings do not).
 * Each character takes 5 bits of one of five independently seeded 32-bit hashes (~119 bits in
 * all): ample against accidental collisions. Swarm ids are not secrets and not an integrity
 * check; access control and segment integrity do not rely on them.
 */
export function deriveSwarmId(streamId: string, renditionKey: string): string {
  const input = `${PROTOCOL_TAG}\n${streamId}\n${renditionKey}`;
  let out = '';
  for (let seed = 0; out.length < WIRE_ID_LENGTH; seed++) {
    let hash = hash32(input, Math.imul(seed + 1, 0x9e3779b9));
    for (let i = 0; i < 4 && out.length < WIRE_ID_LENGTH; i++) {
      out += ALPHABET.charAt(hash % ALPHABET.length);
      hash = Math.floor(hash / ALPHABET.length);
    }
  }
  return out;
}

/** A new random peer id: a client prefix and printable random characters. */
export function createPeerId(random: () => number): string {
  let out = PEER_ID_PREFIX;
  while (out.length < WIRE_ID_LENGTH) out += ALPHABET.charAt(Math.floor(random() * ALPHABET.length));
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
