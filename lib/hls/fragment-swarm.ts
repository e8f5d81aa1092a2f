import type { FragmentLoaderContext } from 'hls.js';
import type { CheckedSegment } from '../engine/segment-checks.ts';
import { deriveSwarmId, stripUrlQuery } from '../shared/swarm-id.ts';
import type { SegmentId } from './load-request.ts';

/**
 * A fragment's identity among peers (its swarm and sequence number), or null when it is not shared
 * (init segments, byte ranges, LL-HLS parts, subtitles).
 */
export function segmentIdOf(
  context: FragmentLoaderContext,
  configuredSwarmId: string | null,
  originBaseUrls: readonly string[] = [],
): SegmentId | null {
  const { frag } = context;
  const sequenceNumber = frag.sn;
  // hls.js sends rangeStart = rangeEnd = 0 for a whole segment; anything else is a byte range.
  const byteRange = (context.rangeStart ?? 0) !== 0 || (context.rangeEnd ?? 0) !== 0;
  // Subtitles (WebVTT, a few KB) would fail the segment checks, and hls.js never reports them
  // buffered (no FRAG_BUFFERED), so a peer's copy could never be confirmed and served on.
  if (typeof sequenceNumber !== 'number' || byteRange || context.part !== null || (frag.type as string) === 'subtitle')
    return null;
  const swarmId = swarmIdOfPlaylist(frag.baseurl, frag.type, frag.level, configuredSwarmId, originBaseUrls);
  return { swarmId, sequenceNumber };
}

/**
 * One swarm per rendition: the media playlist URL names it (under the first configured origin when
 * it lies under any of them, so viewers on different origins share one swarm), or the configured
 * stream id + level.
 */
export function swarmIdOfPlaylist(
  playlistUrl: string,
  type: string,
  level: number,
  configuredSwarmId: string | null,
  originBaseUrls: readonly string[] = [],
): string {
  if (configuredSwarmId !== null) return deriveSwarmId(configuredSwarmId, `${type}/${level}`);
  const base = originBaseUrls.find((url) => playlistUrl.startsWith(url));
  const url = base === undefined ? playlistUrl : originBaseUrls[0]! + playlistUrl.slice(base.length);
  return deriveSwarmId(stripUrlQuery(url), type);
}

/** A shared fragment as the segment checks see it: where it sits, its EXTINF, whether it is ciphertext. */
export function checkedSegmentOf(context: FragmentLoaderContext, segment: SegmentId): CheckedSegment {
  const { frag } = context;
  return {
    ...segment,
    url: context.url,
    playlistUrl: frag.baseurl,
    mediaSeconds: frag.duration,
    // EXT-X-KEY AES-128, AES-256, AES-256-CTR (hls.js's isFullSegmentEncryption) encrypt the whole
    // segment: hls.js loads it so and decrypts it after. SAMPLE-AES leaves the container readable.
    ciphertext: frag.decryptdata?.method.startsWith('AES-') === true,
  };
}
