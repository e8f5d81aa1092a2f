import type { FragmentLoaderContext } from 'hls.js';
import type { CheckedSegment } from '../engine/segment-checks.ts';
import type { ByteRange } from '../shared/hash-manifest.ts';
import { deriveSwarmId, stripUrlQuery } from '../shared/swarm-id.ts';
import type { SegmentId } from './load-request.ts';

/** What names a viewer's swarms (the engine has it): the configured stream id, origins, the stream's URL. */
export interface SwarmNaming {
  readonly config: { readonly swarmId: string | null };
  readonly originBaseUrls: readonly string[];
  readonly playback: { readonly streamUrl: string | null };
}

/**
 * A fragment's identity among peers (its swarm and sequence number), or null when it is not shared
 * (init segments, LL-HLS parts, subtitles). An EXT-X-BYTERANGE segment is shared like a file of its
 * own: its sequence number names it, its bytes are the range's (`fragmentRange`).
 */
export function segmentIdOf(context: FragmentLoaderContext, naming: SwarmNaming): SegmentId | null {
  const { frag } = context;
  const sequenceNumber = frag.sn;
  // Subtitles (WebVTT, a few KB) would fail the segment checks, and hls.js never reports them
  // buffered (no FRAG_BUFFERED), so a peer's copy could never be confirmed and served on.
  if (typeof sequenceNumber !== 'number' || context.part !== null || (frag.type as string) === 'subtitle') return null;
  const { config, originBaseUrls, playback } = naming;
  const swarmId = swarmIdOfPlaylist(frag.baseurl, frag.type, config.swarmId, originBaseUrls, playback.streamUrl);
  return { swarmId, sequenceNumber };
}

/**
 * One swarm per rendition: the media playlist URL names it (under the first configured origin when
 * it lies under any of them, so viewers on different origins share one swarm), or the configured
 * stream id + the rendition's key (`renditionKey`; not hls.js's level index: hls.js drops the
 * renditions whose codecs a browser cannot play and sorts the rest, so one index names different
 * renditions in different browsers).
 */
export function swarmIdOfPlaylist(
  playlistUrl: string,
  type: string,
  configuredSwarmId: string | null,
  originBaseUrls: readonly string[] = [],
  streamUrl: string | null = null,
): string {
  if (configuredSwarmId !== null)
    return deriveSwarmId(configuredSwarmId, `${type}/${renditionKey(playlistUrl, streamUrl)}`);
  const base = originBaseUrls.find((url) => playlistUrl.startsWith(url));
  const url = base === undefined ? playlistUrl : originBaseUrls[0]! + playlistUrl.slice(base.length);
  return deriveSwarmId(stripUrlQuery(url), type);
}

/**
 * A rendition's name within its stream, the same for every viewer however its URLs are signed or
 * served: the media playlist's path relative to the directory of the stream's URL (hls.js's
 * `hls.url`, the master playlist), e.g. `720p/index.m3u8` — the URI a master playlist usually lists;
 * when it lies elsewhere (or the stream URL is unknown), its absolute path. No query, no host.
 */
export function renditionKey(playlistUrl: string, streamUrl: string | null): string {
  const playlist = stripUrlQuery(playlistUrl);
  const directory = stripUrlQuery(streamUrl ?? '').replace(/[^/]*$/, '');
  return directory && playlist.startsWith(directory)
    ? playlist.slice(directory.length)
    : playlist.replace(/^\w+:\/\/[^/]*/, '');
}

/** A shared fragment as the segment checks see it: where it sits, its EXTINF, whether it is ciphertext. */
export function checkedSegmentOf(context: FragmentLoaderContext, segment: SegmentId): CheckedSegment {
  const { frag } = context;
  return {
    ...segment,
    url: context.url,
    range: fragmentRange(context),
    playlistUrl: frag.baseurl,
    mediaSeconds: frag.duration,
    // EXT-X-KEY AES-128, AES-256, AES-256-CTR (hls.js's isFullSegmentEncryption) encrypt the whole
    // segment: hls.js loads it so and decrypts it after. SAMPLE-AES leaves the container readable.
    ciphertext: frag.decryptdata?.method.startsWith('AES-') === true,
  };
}

/**
 * Where an EXT-X-BYTERANGE segment lies in its file (hls.js's `rangeStart`, and `rangeEnd` exclusive),
 * or null for a whole file (hls.js sends 0 and 0).
 */
export function fragmentRange(context: FragmentLoaderContext): ByteRange | null {
  const offset = context.rangeStart ?? 0;
  const end = context.rangeEnd ?? 0;
  return end > offset ? { offset, length: end - offset } : null;
}
