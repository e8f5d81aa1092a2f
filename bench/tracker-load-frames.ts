// Frames of the tracker load benchmark, shared by the coordinator, its worker processes and the core mode.

export const OFFERS_PER_ANNOUNCE = 5;

/** A plausible data-channel-only SDP (~440 characters), so frames have realistic sizes. */
export const SDP = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:${'x'.repeat(24)}\r\na=fingerprint:sha-256 ${'AB:'.repeat(31)}AB\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n`;

/** A 20-character wire id from a prefix and a number. */
export const wireId = (prefix: string, n: number): string => `${prefix}${n.toString(36)}`.padEnd(20, '.').slice(0, 20);

/** What a stamped offer carries in its SDP: when it was sent (wall-clock ms) and from which tracker node. */
export interface OfferStamp {
  readonly sentMs: number;
  readonly node: number;
}

const STAMP_PREFIX = 'a=x-bench-sent:';

/** The stamp of a relayed offer (`{ type, sdp }`), or null when it carries none. */
export function readOfferStamp(offer: unknown): OfferStamp | null {
  const sdp = (offer as { sdp?: unknown } | null)?.sdp;
  if (typeof sdp !== 'string') return null;
  const start = sdp.lastIndexOf(STAMP_PREFIX);
  if (start === -1) return null;
  const [sentMs, node] = sdp
    .slice(start + STAMP_PREFIX.length)
    .split(/[ \r]/, 2)
    .map(Number);
  return sentMs === undefined || node === undefined || !Number.isFinite(sentMs) || !Number.isFinite(node)
    ? null
    : { sentMs, node };
}

/** An announce with OFFERS_PER_ANNOUNCE offers; with a stamp, each offer's SDP ends with it. */
export function announceFrame(
  infoHash: string,
  peerId: string,
  serial: number,
  stamp: OfferStamp | null = null,
): string {
  const sdp = stamp === null ? SDP : `${SDP}${STAMP_PREFIX}${stamp.sentMs.toFixed(3)} ${stamp.node}\r\n`;
  return JSON.stringify({
    action: 'announce',
    info_hash: infoHash,
    peer_id: peerId,
    numwant: OFFERS_PER_ANNOUNCE,
    uploaded: 0,
    downloaded: 0,
    left: 1,
    offers: Array.from({ length: OFFERS_PER_ANNOUNCE }, (_, i) => ({
      offer_id: wireId(`o${i}`, serial),
      offer: { type: 'offer', sdp },
    })),
  });
}

export function answerFrame(infoHash: string, peerId: string, toPeerId: unknown, offerId: unknown): string {
  return JSON.stringify({
    action: 'announce',
    info_hash: infoHash,
    peer_id: peerId,
    to_peer_id: toPeerId,
    offer_id: offerId,
    answer: { type: 'answer', sdp: SDP },
  });
}
