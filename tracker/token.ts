// Signed swarm tokens: a site backend mints one per swarm a page may join; the page puts it in
// the tracker URL (`wss://tracker/?token=...`) because the WebTorrent client cannot add fields
// to its announces. Format, version 1 (documented in the README's Tracker section):
//
//   v1.<info hash: 40 lowercase hex>.<expiry: Unix seconds>.<signature: base64url, 43 chars>
//
// signature = HMAC-SHA256(secret, "v1.<info hash hex>.<expiry>"). The hex is that of the
// 20-character wire id's character codes, i.e. the `infoHash` bittorrent-tracker's client takes.
import { createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';
/** Shortest secret accepted: shorter ones are guessable offline from one token. */
export const MIN_SWARM_TOKEN_SECRET_CHARS = 16;
/** Longest token read from a URL, in characters (a valid one is ~100). */
export const MAX_SWARM_TOKEN_CHARS = 200;
const WIRE_ID_CHARS = 20;
const TOKEN_PATTERN = /^v1\.([0-9a-f]{40})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;

export interface SwarmTokenClaims {
  /** The swarm, as its 20-character wire id. */
  readonly infoHash: string;
  readonly expiresAtSeconds: number;
}

export type SwarmTokenCheck =
  | { readonly ok: true; readonly claims: SwarmTokenClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'bad-signature' };

export interface MintSwarmTokenOptions {
  readonly secret: string;
  /** 40 hex characters (bittorrent-tracker's form) or the 20-character wire id. */
  readonly infoHash: string;
  /** When the token stops admitting new peers, in Unix seconds. */
  readonly expiresAtSeconds: number;
}

/**
 * Mint a token admitting peers to one swarm until it expires; for site backends.
 * @example
 * const token = mintSwarmToken({ secret: process.env.TRACKER_SECRET, infoHash, expiresAtSeconds: Math.floor(Date.now() / 1000) + 3600 });
 * const trackerUrl = `wss://tracker.example.com/?token=${token}`;
 */
export function mintSwarmToken(options: MintSwarmTokenOptions): string {
  if (options.secret.length < MIN_SWARM_TOKEN_SECRET_CHARS)
    throw new RangeError(`secret must have at least ${MIN_SWARM_TOKEN_SECRET_CHARS} characters`);
  const hex = infoHashToHex(options.infoHash);
  if (hex === null) throw new RangeError('infoHash must be 40 hex characters or a 20-character wire id');
  if (!Number.isInteger(options.expiresAtSeconds) || options.expiresAtSeconds < 0 || options.expiresAtSeconds >= 1e12) {
    throw new RangeError('expiresAtSeconds must be a non-negative integer number of Unix seconds');
  }
  const payload = `${VERSION}.${hex}.${options.expiresAtSeconds}`;
  return `${payload}.${sign(options.secret, payload).toString('base64url')}`;
}

/** Check a token's form and signature (not its expiry: the caller's clock decides). Never throws. */
export function verifySwarmToken(token: string, secret: string): SwarmTokenCheck {
  const match = token.length <= MAX_SWARM_TOKEN_CHARS ? TOKEN_PATTERN.exec(token) : null;
  if (match === null) return { ok: false, reason: 'malformed' };
  const [, hex = '', expiry = '', signature = ''] = match;
  const expected = sign(secret, `${VERSION}.${hex}.${expiry}`);
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    return { ok: false, reason: 'bad-signature' };
  return {
    ok: true,
    claims: { infoHash: Buffer.from(hex, 'hex').toString('latin1'), expiresAtSeconds: Number(expiry) },
  };
}

/** 40 lowercase hex characters for an info hash given as hex or as a wire id; null if it is neither. */
export function infoHashToHex(infoHash: string): string | null {
  if (/^[0-9a-fA-F]{40}$/.test(infoHash)) return infoHash.toLowerCase();
  if (infoHash.length !== WIRE_ID_CHARS) return null;
  let hex = '';
  for (let i = 0; i < infoHash.length; i++) {
    const code = infoHash.charCodeAt(i);
    // Beyond one byte a character has no hex form, and no client could announce it as one.
    if (code > 0xff) return null;
    hex += code.toString(16).padStart(2, '0');
  }
  return hex;
}

/** The wire id (20 characters, as announces carry it) of an info hash given as hex or as a wire id. */
export function infoHashToWireId(infoHash: string): string | null {
  const hex = infoHashToHex(infoHash);
  return hex === null ? null : Buffer.from(hex, 'hex').toString('latin1');
}

function sign(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}
