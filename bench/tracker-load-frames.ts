// Frames of the tracker load benchmark, shared by the coordinator, its worker processes and the core mode.

export const OFFERS_PER_ANNOUNCE = 5;

/** A plausible data-channel-only SDP (~440 characters), so frames have realistic sizes. */
export const SDP = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:${'x'.repeat(24)}\r\na=fingerprint:sha-256 ${'AB:'.repeat(31)}AB\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n`;

/** A 20-character wire id from a prefix and a number. */
export const wireId = (prefix: string, n: number): string => `${prefix}${n.toString(36)}`.padEnd(20, '.').slice(0, 20);

export function announceFrame(infoHash: string, peerId: string, serial: number): string {
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
      offer: { type: 'offer', sdp: SDP },
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
