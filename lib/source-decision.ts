import { hash32 } from './shared/hash.ts';

/** What the engine knows of one connected peer, for one segment. */
export interface PeerView {
  readonly peerId: string;
  readonly has: boolean;
  /** The peer announced it is fetching this segment over HTTP. */
  readonly loading: boolean;
  /** The peer recently announced segments close to this one (it is at this part of the stream). */
  readonly nearby: boolean;
  readonly activeDownloads: number;
}

export type SourceDecision =
  | { readonly kind: 'peer'; readonly peerId: string }
  | { readonly kind: 'wait' }
  | { readonly kind: 'http' };

/**
 * Where to get a segment that is not cached, so that normally one viewer of a swarm fetches it
 * from the origin and the others get it from peers:
 * 1. a connected peer has it → that peer (the least busy);
 * 2. a peer is fetching it over HTTP → wait for it;
 * 3. among this viewer and the peers that are at this part of the stream, one is the designated
 *    seeder of this segment (lowest hash of peer id and sequence number, so the origin load
 *    spreads evenly and everyone agrees without talking): if it is us → HTTP now, else wait for
 *    it (the caller bounds the wait and then uses HTTP);
 * 4. nobody near → HTTP.
 */
export function decideSource(selfPeerId: string, sequenceNumber: number, peers: readonly PeerView[]): SourceDecision {
  let best: PeerView | undefined;
  for (const peer of peers) {
    if (peer.has && (best === undefined || peer.activeDownloads < best.activeDownloads)) best = peer;
  }
  if (best !== undefined) return { kind: 'peer', peerId: best.peerId };
  if (peers.some((peer) => peer.loading)) return { kind: 'wait' };
  const nearby = peers.filter((peer) => peer.nearby);
  if (nearby.length === 0) return { kind: 'http' };
  const selfRank = seederRank(selfPeerId, sequenceNumber);
  const someoneBetter = nearby.some((peer) => seederRank(peer.peerId, sequenceNumber) < selfRank);
  return someoneBetter ? { kind: 'wait' } : { kind: 'http' };
}

/** A stable pseudo-random rank of a peer for a segment that every viewer computes alike. */
export function seederRank(peerId: string, sequenceNumber: number): number {
  return hash32(`${peerId}/${sequenceNumber}`);
}
