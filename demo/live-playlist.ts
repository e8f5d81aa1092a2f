// A simulated live stream from a VOD playlist: a sliding window that advances in real time.

/** The parts of a VOD media playlist the live simulation needs. */
export interface VodPlaylist {
  readonly targetDurationSeconds: number;
  readonly segmentDurationsSeconds: readonly number[];
}

/** Parse the target duration and segment durations of a media playlist. */
export function parseVodPlaylist(text: string): VodPlaylist {
  const target = /#EXT-X-TARGETDURATION:(\d+)/.exec(text);
  const durations = [...text.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
  if (target === null || durations.length === 0) throw new Error('not a media playlist with segments');
  return { targetDurationSeconds: Number(target[1]), segmentDurationsSeconds: durations };
}

/** Media sequence number of the first segment in the window at `elapsedMs` after the stream started. */
export function firstSequenceAt(playlist: VodPlaylist, elapsedMs: number): number {
  // Every segment of the sample lasts the target duration; advance one per that much wall time.
  return Math.max(0, Math.floor(elapsedMs / (playlist.targetDurationSeconds * 1000)));
}

/**
 * The live media playlist at `elapsedMs`: `windowSegments` segments named `seg_<sequence>.ts`,
 * looping over the VOD segments, with a discontinuity where the loop wraps.
 */
export function livePlaylist(playlist: VodPlaylist, elapsedMs: number, windowSegments: number): string {
  const count = playlist.segmentDurationsSeconds.length;
  const first = firstSequenceAt(playlist, elapsedMs);
  // Wraps strictly before the window's first segment: one discontinuity each.
  const discontinuitySequence = Math.floor(first / count);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    `#EXT-X-TARGETDURATION:${playlist.targetDurationSeconds}`,
    `#EXT-X-MEDIA-SEQUENCE:${first}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${discontinuitySequence}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  for (let sequence = first; sequence < first + windowSegments; sequence++) {
    if (sequence > first && sequence % count === 0) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXTINF:${(playlist.segmentDurationsSeconds[sequence % count] as number).toFixed(6)},`);
    lines.push(`seg_${sequence}.ts`);
  }
  return `${lines.join('\n')}\n`;
}

/** Whether a live segment may be served now: within two windows behind and one segment ahead. */
export function liveSegmentAvailable(playlist: VodPlaylist, elapsedMs: number, windowSegments: number, sequence: number): boolean {
  const first = firstSequenceAt(playlist, elapsedMs);
  return sequence >= first - 2 * windowSegments && sequence <= first + windowSegments;
}
