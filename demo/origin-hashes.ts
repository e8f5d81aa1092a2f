// Hash manifests the demo/bench origin serves beside each media playlist (the library's
// convention, index.m3u8 → index.hashes.json): the VOD playlist's segments, and for simulated
// live the segments the origin serves at that moment (the window and two windows behind it).
import { createHash } from 'node:crypto';
import {
  HASH_MANIFEST_FORMAT,
  HASH_MANIFEST_VERSION,
  type HashManifest,
  type SegmentHash,
} from '../lib/shared/hash-manifest.ts';
import { firstSequenceAt, type VodPlaylist } from './live-playlist.ts';

/** SHA-256 hex of each segment, in playlist order. */
export const segmentHashes = (segments: readonly Uint8Array[]): string[] =>
  segments.map((segment) => createHash('sha256').update(segment).digest('hex'));

const manifestText = (live: boolean, segments: SegmentHash[]): string => {
  const manifest: HashManifest = {
    format: HASH_MANIFEST_FORMAT,
    version: HASH_MANIFEST_VERSION,
    renditions: [{ playlist: 'index.m3u8', live, segments, initSegments: [] }],
  };
  return JSON.stringify(manifest);
};

/** The VOD rendition's manifest: each file name with its hash. */
export function vodHashManifest(fileNames: readonly string[], hashes: readonly string[]): string {
  return manifestText(
    false,
    fileNames.map((uri, i) => ({ uri, sha256: hashes[i] as string })),
  );
}

/**
 * The live rendition's manifest at `elapsedMs`: `seg_<sequence>.ts` for every sequence the origin
 * serves then, minus the newest `lagSegments` (to simulate a manifest that lags the playlist).
 */
export function liveHashManifest(
  playlist: VodPlaylist,
  hashes: readonly string[],
  elapsedMs: number,
  windowSegments: number,
  lagSegments = 0,
): string {
  const first = firstSequenceAt(playlist, elapsedMs);
  const segments: SegmentHash[] = [];
  for (
    let sequence = Math.max(0, first - 2 * windowSegments);
    sequence < first + windowSegments - lagSegments;
    sequence++
  ) {
    segments.push({ uri: `seg_${sequence}.ts`, sha256: hashes[sequence % hashes.length] as string });
  }
  return manifestText(true, segments);
}
