import type { FragmentLoaderContext } from 'hls.js';
import { deriveSwarmId, stripUrlQuery } from '../shared/swarm-id.ts';

/** The swarm a fragment belongs to, or null when it is not shared (init segments, byte ranges, LL-HLS parts). */
export function swarmIdOf(context: FragmentLoaderContext, configuredSwarmId: string | null): string | null {
  const { frag } = context;
  // hls.js sends rangeStart = rangeEnd = 0 for a whole segment; anything else is a byte range.
  const byteRange = (context.rangeStart ?? 0) !== 0 || (context.rangeEnd ?? 0) !== 0;
  if (typeof frag.sn !== 'number' || byteRange || context.part !== null) return null;
  return swarmIdOfPlaylist(frag.baseurl, frag.type, frag.level, configuredSwarmId);
}

/** One swarm per rendition: the media playlist URL names it, or the configured stream id + level. */
export function swarmIdOfPlaylist(
  playlistUrl: string,
  type: string,
  level: number,
  configuredSwarmId: string | null,
): string {
  return configuredSwarmId === null
    ? deriveSwarmId(stripUrlQuery(playlistUrl), type)
    : deriveSwarmId(configuredSwarmId, `${type}/${level}`);
}
