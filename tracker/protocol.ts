// The WebTorrent WebSocket tracker protocol as bittorrent-tracker 11's client speaks it:
// untrusted text frames parsed once into typed requests, and the encoders of every reply.
import { WIRE_ID_LENGTH } from '../lib/shared/swarm-id.ts';

/** Largest frame accepted by default, in UTF-8 bytes (the socket adapter also enforces it). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Most offers accepted in one announce by default (bittorrent-tracker's client sends at most 5). */
export const MAX_OFFERS_PER_ANNOUNCE = 10;
/** Largest SDP accepted in one offer or answer, in characters. */
export const MAX_SDP_CHARS = 16 * 1024;
/** Most info hashes in one scrape. */
export const MAX_SCRAPE_HASHES = 100;

export type AnnounceEvent = 'started' | 'stopped' | 'completed' | 'update';

export interface SessionDescription<T extends 'offer' | 'answer'> {
  readonly type: T;
  readonly sdp: string;
  /**
   * `sdp` as a JSON string literal, quotes included, exactly as JSON.stringify(sdp) writes it:
   * usually a slice of the received frame (no copy), so relaying an offer or answer re-encodes
   * nothing.
   */
  readonly sdpJson: string;
}

export interface Offer {
  readonly offerId: string;
  readonly offer: SessionDescription<'offer'>;
}

export interface AnnounceRequest {
  readonly type: 'announce';
  readonly infoHash: string;
  readonly peerId: string;
  readonly event: AnnounceEvent;
  /** Most offers to forward; null when not sent (then every offer is forwarded). */
  readonly numwant: number | null;
  /** Bytes left to download; 0 means a seeder. Null when not sent (bittorrent-tracker's default). */
  readonly left: number | null;
  readonly offers: readonly Offer[];
}

export interface AnswerRequest {
  readonly type: 'answer';
  readonly infoHash: string;
  readonly peerId: string;
  readonly toPeerId: string;
  readonly offerId: string;
  readonly answer: SessionDescription<'answer'>;
}

export interface ScrapeRequest {
  readonly type: 'scrape';
  readonly infoHashes: readonly string[];
}

export type TrackerRequest = AnnounceRequest | AnswerRequest | ScrapeRequest;

/**
 * A frame to send: its JSON text, or that text in pieces to be written one after the other. A
 * relayed offer or answer goes out as pieces, so its SDP slice is never copied into a joined string.
 */
export type OutgoingFrame = string | readonly string[];

/** Every reason a frame can fail to parse (metrics list them all, including those still at 0). */
export const PROTOCOL_ERROR_CODES = [
  'message-too-large',
  'not-json',
  'not-an-object',
  'unknown-action',
  'invalid-field',
  'too-many-offers',
] as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/** Why a frame was rejected, and what the failure reply must carry for the client to match it. */
export interface ProtocolError {
  readonly code: ProtocolErrorCode;
  /** The offending wire field (`info_hash`, `offers[2].offer_id`), or null for the whole frame. */
  readonly field: string | null;
  readonly message: string;
  readonly action: 'announce' | 'scrape';
  readonly infoHash: string | null;
}

export type ParseResult =
  | { readonly ok: true; readonly request: TrackerRequest }
  | { readonly ok: false; readonly error: ProtocolError };

export interface ParseLimits {
  readonly maxMessageBytes: number;
  readonly maxOffersPerAnnounce: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = Object.freeze({
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxOffersPerAnnounce: MAX_OFFERS_PER_ANNOUNCE,
});

// bittorrent-tracker's client sends ids as 20-character binary (latin-1) strings, ours as 20
// printable characters: both are 20 JS characters, whatever their UTF-8 length.
const isWireId = (value: unknown): value is string => typeof value === 'string' && value.length === WIRE_ID_LENGTH;
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const ID_RULE = `a string of ${WIRE_ID_LENGTH} characters`;

// Events bittorrent-tracker's server accepts; `paused` and `empty` mean a plain update there too.
// A Map, not an object literal, so that event "toString" or "__proto__" finds nothing.
const EVENTS: ReadonlyMap<unknown, AnnounceEvent> = new Map<unknown, AnnounceEvent>([
  ['started', 'started'],
  ['stopped', 'stopped'],
  ['completed', 'completed'],
  ['update', 'update'],
  ['paused', 'update'],
  ['empty', 'update'],
]);

/** UTF-8 length without encoding, when the character count alone cannot decide. */
function exceedsBytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(text, 'utf8') > maxBytes;
}

/**
 * Reads a description from an already parsed frame. `text` is that frame and `scan` the frame
 * position to look for the sdp's literal from (see sdpLiteral).
 */
function parseDescription<T extends 'offer' | 'answer'>(
  value: unknown,
  type: T,
  text: string,
  scan: ScanPosition,
): SessionDescription<T> | null {
  if (typeof value !== 'object' || value === null) return null;
  const { type: actual, sdp } = value as { type?: unknown; sdp?: unknown };
  if (actual !== type || typeof sdp !== 'string' || sdp.length === 0 || sdp.length > MAX_SDP_CHARS) return null;
  return { type, sdp, sdpJson: sdpLiteral(text, sdp, scan) };
}

interface ScanPosition {
  at: number;
}

const SDP_KEY = '"sdp":"';

/**
 * The JSON literal of `sdp` as a slice of the frame it was parsed from: the first `"sdp":"` at or
 * after `scan.at`; JSON.stringify(sdp) when that is not it. JSON.parse has already validated the
 * frame and produced `sdp`: the slice is only used when it decodes, character by character, to
 * that very value and is written the way JSON.stringify would write it, so relayed frames stay
 * byte for byte what they were when they were re-encoded. One candidate only, so the work per
 * description is one indexOf and at most one SDP's length of comparisons, whatever decoy "sdp"
 * keys an untrusted frame holds.
 */
function sdpLiteral(text: string, sdp: string, scan: ScanPosition): string {
  const key = text.indexOf(SDP_KEY, scan.at);
  if (key === -1) return JSON.stringify(sdp);
  const open = key + SDP_KEY.length - 1;
  const close = canonicalLiteralEnd(text, open + 1, sdp);
  if (close === -1) return JSON.stringify(sdp);
  scan.at = close + 1;
  return text.slice(open, close + 1);
}

// JSON.stringify's short escapes: the letter after the backslash, by the character it stands for.
const SHORT_ESCAPES: ReadonlyMap<number, number> = new Map([
  [0x08, 0x62], // \b
  [0x09, 0x74], // \t
  [0x0a, 0x6e], // \n
  [0x0c, 0x66], // \f
  [0x0d, 0x72], // \r
]);
const HEX_DIGITS = '0123456789abcdef';

/**
 * Index of the closing quote when text[from…] is `value`'s JSON string body as JSON.stringify
 * writes it (raw characters except `"`, `\`, controls and surrogates; short escapes where JSON
 * has them; `\u00xx` in lowercase for the other controls); -1 otherwise.
 */
function canonicalLiteralEnd(text: string, from: number, value: string): number {
  let at = from;
  for (let k = 0; k < value.length; k++) {
    const expected = value.charCodeAt(k);
    const c = text.charCodeAt(at);
    if (c !== 0x5c) {
      // A raw quote ends the literal early; controls and surrogates JSON.stringify would escape.
      if (c !== expected || c === 0x22 || c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) return -1;
      at += 1;
      continue;
    }
    const escaped = text.charCodeAt(at + 1);
    if (escaped === 0x22 || escaped === 0x5c) {
      if (expected !== escaped) return -1;
      at += 2;
    } else if (escaped === 0x75) {
      // \u00xx, only for a control without a short escape (JSON.stringify writes the rest raw).
      if (
        expected >= 0x20 ||
        SHORT_ESCAPES.has(expected) ||
        text.slice(at + 2, at + 6) !== `00${HEX_DIGITS[expected >> 4]}${HEX_DIGITS[expected & 15]}`
      )
        return -1;
      at += 6;
    } else {
      if (SHORT_ESCAPES.get(expected) !== escaped) return -1;
      at += 2;
    }
  }
  return text.charCodeAt(at) === 0x22 ? at : -1;
}

/** Parse one untrusted text frame into a typed request or a typed error. Never throws. */
export function parseRequest(text: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParseResult {
  if (exceedsBytes(text, limits.maxMessageBytes)) {
    return fail('message-too-large', null, `message longer than ${limits.maxMessageBytes} bytes`, 'announce', null);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('not-json', null, 'message is not JSON', 'announce', null);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return fail('not-an-object', null, 'message is not a JSON object', 'announce', null);
  const m = json as Record<string, unknown>;
  if (m['action'] === 'scrape') return parseScrape(m);
  if (m['action'] !== 'announce')
    // JSON.stringify(undefined) is undefined at run time whatever its type says: String() keeps it printable.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion
    return fail('unknown-action', 'action', `unknown action ${String(JSON.stringify(m['action']))}`, 'announce', null);
  return parseAnnounce(m, limits, text);
}

function parseAnnounce(m: Record<string, unknown>, limits: ParseLimits, text: string): ParseResult {
  const infoHash = m['info_hash'];
  if (!isWireId(infoHash)) return fail('invalid-field', 'info_hash', `info_hash must be ${ID_RULE}`, 'announce', null);
  const peerId = m['peer_id'];
  if (!isWireId(peerId)) return invalid(infoHash, 'peer_id', ID_RULE);

  // bittorrent-tracker's client answers an offer with an announce carrying `answer`.
  const scan: ScanPosition = { at: 0 };
  if (m['answer'] !== undefined) {
    const answer = parseDescription(m['answer'], 'answer', text, scan);
    if (answer === null)
      return invalid(infoHash, 'answer', `{type: "answer", sdp} with 1 to ${MAX_SDP_CHARS} characters of SDP`);
    const toPeerId = m['to_peer_id'];
    if (!isWireId(toPeerId)) return invalid(infoHash, 'to_peer_id', ID_RULE);
    const offerId = m['offer_id'];
    if (!isWireId(offerId)) return invalid(infoHash, 'offer_id', ID_RULE);
    return { ok: true, request: { type: 'answer', infoHash, peerId, toPeerId, offerId, answer } };
  }

  const event = m['event'] === undefined ? 'update' : EVENTS.get(m['event']);
  if (event === undefined) return invalid(infoHash, 'event', 'started, stopped, completed or update');
  const numwant = m['numwant'] ?? null;
  if (numwant !== null && !isCount(numwant)) return invalid(infoHash, 'numwant', 'a non-negative number');
  // JSON has no Infinity: bittorrent-tracker's "left: Infinity" arrives as null.
  const left = m['left'] ?? null;
  if (left !== null && !isCount(left)) return invalid(infoHash, 'left', 'a non-negative number');
  const rawOffers = m['offers'] ?? [];
  if (!Array.isArray(rawOffers)) return invalid(infoHash, 'offers', 'an array');
  if (rawOffers.length > limits.maxOffersPerAnnounce) {
    return fail(
      'too-many-offers',
      'offers',
      `at most ${limits.maxOffersPerAnnounce} offers per announce, got ${rawOffers.length}`,
      'announce',
      infoHash,
    );
  }
  const offers: Offer[] = [];
  for (let i = 0; i < rawOffers.length; i++) {
    const raw: unknown = rawOffers[i];
    const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const offerId = entry['offer_id'];
    if (!isWireId(offerId)) return invalid(infoHash, `offers[${i}].offer_id`, ID_RULE);
    const offer = parseDescription(entry['offer'], 'offer', text, scan);
    if (offer === null)
      return invalid(
        infoHash,
        `offers[${i}].offer`,
        `{type: "offer", sdp} with 1 to ${MAX_SDP_CHARS} characters of SDP`,
      );
    offers.push({ offerId, offer });
  }
  return {
    ok: true,
    request: {
      type: 'announce',
      infoHash,
      peerId,
      event,
      numwant: numwant === null ? null : Math.floor(numwant),
      left,
      offers,
    },
  };
}

function parseScrape(m: Record<string, unknown>): ParseResult {
  const raw = m['info_hash'];
  const list = typeof raw === 'string' ? [raw] : raw;
  // No "scrape everything": listing every swarm costs O(swarms) and tells strangers what is watched.
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_SCRAPE_HASHES || !list.every(isWireId)) {
    return fail(
      'invalid-field',
      'info_hash',
      `scrape info_hash must be 1 to ${MAX_SCRAPE_HASHES} strings of ${WIRE_ID_LENGTH} characters`,
      'scrape',
      null,
    );
  }
  return { ok: true, request: { type: 'scrape', infoHashes: list } };
}

// Module functions, not closures made per frame: a frame should allocate only what it carries.
const invalid = (infoHash: string, field: string, rule: string): ParseResult =>
  fail('invalid-field', field, `${field} must be ${rule}`, 'announce', infoHash);

const fail = (
  code: ProtocolErrorCode,
  field: string | null,
  message: string,
  action: 'announce' | 'scrape',
  infoHash: string | null,
): ParseResult => ({
  ok: false,
  error: { code, field, message, action, infoHash },
});

// Encoders. bittorrent-tracker's client drops an announce reply whose info_hash is not its own,
// emits 'update' only when `complete` is present, and treats any action other than announce or
// scrape as a broken socket: every reply below keeps to that.

export interface SwarmCounts {
  /** Seeders. */
  readonly complete: number;
  /** Leechers. */
  readonly incomplete: number;
  /** `completed` events seen. */
  readonly downloaded: number;
}

// The three per-announce frames are spelled out as JSON.stringify would write them (same keys,
// order and escapes; the tests compare both): no object to build and stringify, and the SDP,
// most of a frame, goes in as the literal it arrived as.
const json = JSON.stringify;
const jsonNumber = (value: number): string => (Number.isFinite(value) ? String(value) : 'null');

export function encodeAnnounceReply(infoHash: string, intervalSeconds: number, counts: SwarmCounts): string {
  return `{"action":"announce","interval":${jsonNumber(intervalSeconds)},"info_hash":${json(infoHash)},"complete":${jsonNumber(counts.complete)},"incomplete":${jsonNumber(counts.incomplete)}}`;
}

const RELAYED_OFFER_HEAD = '{"action":"announce","offer":{"type":"offer","sdp":';
const RELAYED_ANSWER_HEAD = '{"action":"announce","answer":{"type":"answer","sdp":';

export function encodeRelayedOffer(infoHash: string, fromPeerId: string, offer: Offer): readonly string[] {
  return [
    RELAYED_OFFER_HEAD,
    offer.offer.sdpJson,
    `},"offer_id":${json(offer.offerId)},"peer_id":${json(fromPeerId)},"info_hash":${json(infoHash)}}`,
  ];
}

export function encodeRelayedAnswer(request: AnswerRequest): readonly string[] {
  return [
    RELAYED_ANSWER_HEAD,
    request.answer.sdpJson,
    `},"offer_id":${json(request.offerId)},"peer_id":${json(request.peerId)},"info_hash":${json(request.infoHash)}}`,
  ];
}

/** Scrape reply; the client reads `files`, keyed by the info hashes exactly as it sent them. */
export function encodeScrapeReply(files: ReadonlyMap<string, SwarmCounts>, intervalSeconds: number): string {
  const out: Record<string, SwarmCounts> = {};
  for (const [infoHash, counts] of files)
    out[infoHash] = { complete: counts.complete, incomplete: counts.incomplete, downloaded: counts.downloaded };
  return JSON.stringify({ action: 'scrape', files: out, flags: { min_request_interval: intervalSeconds } });
}

/** Failure reply; the client shows it as a 'warning' only when info_hash is one of its own. */
export function encodeFailure(error: Pick<ProtocolError, 'message' | 'action' | 'infoHash'>): string {
  return JSON.stringify({
    action: error.action,
    'failure reason': error.message,
    ...(error.infoHash === null ? {} : { info_hash: error.infoHash }),
  });
}
