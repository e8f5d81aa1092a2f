// How many of an announce's offers go to peers on other nodes. The core draws the rest from its
// own peers with TrackerSwarm.randomOthers (same-region first), and the announce script draws the
// remote ones the same way (same-region first), so the split decides how introductions spread
// over nodes: same-region peers first wherever they are, then the others, each part in proportion
// to where those peers are. Pure: counts in, a count out.

/** Other peers of the swarm (the announcing one not counted), here and on other nodes. */
export interface SwarmSpread {
  readonly localOthers: number;
  readonly remoteOthers: number;
  /** Of those, peers of the announcing peer's region; both 0 when it has none or the count is unknown. */
  readonly localSameRegion: number;
  readonly remoteSameRegion: number;
}

/**
 * The remote share of `wanted` offers, rounded at random so the expectation is exact. The local
 * part never exceeds the local peers of each kind, nor the remote part the remote peers.
 * @example remoteShare({ localOthers: 4, remoteOthers: 4, localSameRegion: 1, remoteSameRegion: 3 }, 4, Math.random) // 3
 */
export function remoteShare(spread: SwarmSpread, wanted: number, random: () => number): number {
  const { localOthers, remoteOthers } = spread;
  if (wanted <= 0 || remoteOthers <= 0) return 0;
  // Counts one announce old may disagree a little: bounded to what can be.
  const localSame = Math.max(0, Math.min(spread.localSameRegion, localOthers));
  const remoteSame = Math.max(0, Math.min(spread.remoteSameRegion, remoteOthers));
  // Same-region peers first, split between here and there in proportion to where they are.
  const same = Math.min(wanted, localSame + remoteSame);
  const sameRemote = same === 0 ? 0 : roundAtRandom((same * remoteSame) / (localSame + remoteSame), random);
  // The rest from the others (every peer of another region or none), in proportion too.
  const rest = wanted - same;
  const localRest = localOthers - localSame;
  const remoteRest = remoteOthers - remoteSame;
  const restRemote =
    rest === 0 || remoteRest === 0 ? 0 : roundAtRandom((rest * remoteRest) / (localRest + remoteRest), random);
  return Math.min(wanted, sameRemote + restRemote);
}

/** floor(x) or ceil(x), the latter with probability x - floor(x); a random() of 1 cannot exceed ceil(x). */
function roundAtRandom(value: number, random: () => number): number {
  return Math.min(Math.ceil(value), Math.floor(value + random()));
}
