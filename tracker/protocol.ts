// The WebTorrent WebSocket tracker protocol: untrusted text frames parsed once into typed requests.
import { WIRE_ID_LENGTH } from '../lib/shared/swarm-id.ts';

/** Largest frame accepted (the socket adapter also enforces it before parsing). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Largest SDP accepted in one offer or answer. */
export const MAX_SDP_CHARS = 16 * 1024;
/** Most info hashes in one scrape. */
export const MAX_SCRAPE_HASHES = 100;

export type AnnounceEvent = 'started' | 'stopped' | 'completed' | 'update';

export interface Offer {
  readonly offerId: string;
  readonly offer: { readonly type: 'offer'; readonly sdp: string };
}

export type TrackerRequest =
  | {
      readonly action: 'announce';
      readonly infoHash: string;
      readonly peerId: string;
      readonly event: AnnounceEvent;
      readonly numwant: number;
      /** Bytes left to download; 0 means a seeder. Null when not sent. */
      readonly left: number | null;
      readonly offers: readonly Offer[];
    }
  | {
      readonly action: 'answer';
      readonly infoHash: string;
      readonly peerId: string;
      readonly toPeerId: string;
      readonly offerId: string;
      readonly answer: { readonly type: 'answer'; readonly sdp: string };
    }
  | { readonly action: 'scrape'; readonly infoHashes: readonly string[] };

export type ParseResult =
  | { readonly ok: true; readonly request: TrackerRequest }
  | { readonly ok: false; readonly reason: string; readonly action: string | null; readonly infoHash: string | null };

const isWireId = (value: unknown): value is string => typeof value === 'string' && value.length === WIRE_ID_LENGTH;
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

function parseDescription<T extends 'offer' | 'answer'>(value: unknown, type: T): { type: T; sdp: string } | null {
  if (typeof value !== 'object' || value === null) return null;
  const { type: actual, sdp } = value as { type?: unknown; sdp?: unknown };
  if (actual !== type || typeof sdp !== 'string' || sdp.length === 0 || sdp.length > MAX_SDP_CHARS) return null;
  return { type, sdp };
}

/** Parse one text frame. Never throws. */
export function parseRequest(text: string, maxOffers: number): ParseResult {
  if (text.length > MAX_MESSAGE_BYTES) return fail(`message longer than ${MAX_MESSAGE_BYTES} characters`, null, null);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('message is not JSON', null, null);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('message is not a JSON object', null, null);
  const m = json as Record<string, unknown>;
  const action = typeof m['action'] === 'string' ? m['action'] : null;
  if (action === 'scrape') return parseScrape(m);
  if (action !== 'announce') return fail(`unknown action ${JSON.stringify(m['action'])}`, action, null);
  const infoHash = m['info_hash'];
  if (!isWireId(infoHash)) return fail(`info_hash must be ${WIRE_ID_LENGTH} characters`, action, null);
  const peerId = m['peer_id'];
  if (!isWireId(peerId)) return fail(`peer_id must be ${WIRE_ID_LENGTH} characters`, action, infoHash);
  if (m['answer'] !== undefined) {
    const answer = parseDescription(m['answer'], 'answer');
    if (answer === null) return fail('answer must be {type: "answer", sdp}', action, infoHash);
    if (!isWireId(m['to_peer_id'])) return fail(`to_peer_id must be ${WIRE_ID_LENGTH} characters`, action, infoHash);
    if (!isWireId(m['offer_id'])) return fail(`offer_id must be ${WIRE_ID_LENGTH} characters`, action, infoHash);
    return { ok: true, request: { action: 'answer', infoHash, peerId, toPeerId: m['to_peer_id'], offerId: m['offer_id'], answer } };
  }
  const event = m['event'] ?? 'update';
  if (event !== 'started' && event !== 'stopped' && event !== 'completed' && event !== 'update') {
    return fail(`unknown event ${JSON.stringify(event)}`, action, infoHash);
  }
  const numwant = m['numwant'] ?? 0;
  if (!isCount(numwant)) return fail('numwant must be a non-negative number', action, infoHash);
  const left = m['left'] ?? null;
  if (left !== null && !isCount(left)) return fail('left must be a non-negative number', action, infoHash);
  const rawOffers = m['offers'] ?? [];
  if (!Array.isArray(rawOffers)) return fail('offers must be an array', action, infoHash);
  if (rawOffers.length > maxOffers) return fail(`at most ${maxOffers} offers per announce`, action, infoHash);
  const offers: Offer[] = [];
  for (const raw of rawOffers) {
    const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const offer = parseDescription(entry['offer'], 'offer');
    if (!isWireId(entry['offer_id']) || offer === null) return fail('each offer must be {offer_id, offer: {type: "offer", sdp}}', action, infoHash);
    offers.push({ offerId: entry['offer_id'], offer });
  }
  return { ok: true, request: { action: 'announce', infoHash, peerId, event, numwant: Math.floor(numwant), left, offers } };
}

function parseScrape(m: Record<string, unknown>): ParseResult {
  const raw = m['info_hash'] ?? [];
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length > MAX_SCRAPE_HASHES || !list.every(isWireId)) {
    return fail(`scrape info_hash must be up to ${MAX_SCRAPE_HASHES} ids of ${WIRE_ID_LENGTH} characters`, 'scrape', null);
  }
  return { ok: true, request: { action: 'scrape', infoHashes: list } };
}

const fail = (reason: string, action: string | null, infoHash: string | null): ParseResult => ({ ok: false, reason, action, infoHash });

/** The failure reply bittorrent-tracker's client understands (it matches replies by info_hash). */
export function encodeFailure(reason: string, action: string | null, infoHash: string | null): string {
  return JSON.stringify({ action: action === 'scrape' ? 'scrape' : 'announce', 'failure reason': reason, ...(infoHash === null ? {} : { info_hash: infoHash }) });
}
