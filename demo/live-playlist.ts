// A simulated live stream from a VOD playlist: a sliding window that advances in real time,
// looping over the VOD segments forever. Pure functions of the playlist and the elapsed time.

/** The parts of a VOD media playlist the live simulation needs. */
export interface VodPlaylist {
  readonly targetDurationSeconds: number;
  readonly segmentDurationsSeconds: readonly number[];
}

/** Parse the target duration and segment durations of a media playlist; throws if it has none. */
export function parseVodPlaylist(text: string): VodPlaylist {
  const target = /^#EXT-X-TARGETDURATION:(\d+)\s*$/m.exec(text);
  const durations = [...text.matchAll(/^#EXTINF:([\d.]+)/gm)].map((m) => Number(m[1]));
  if (target === null || durations.length === 0) throw new Error('not a media playlist with segments');
  if (durations.some((seconds) => !(seconds > 0))) throw new Error('a segment duration is not a positive number');
  return { targetDurationSeconds: Number(target[1]), segmentDurationsSeconds: durations };
}

// Whole milliseconds, so that 2.000000 s segments advance exactly every 2000 ms.
const durationsMs = (playlist: VodPlaylist): number[] =>
  playlist.segmentDurationsSeconds.map((s) => Math.round(s * 1000));

/**
 * Media sequence number of the first segment in the window `elapsedMs` after the stream started:
 * the window starts full at [0, window) and drops its first segment each time that segment's
 * duration of wall time has passed.
 */
export function firstSequenceAt(playlist: VodPlaylist, elapsedMs: number): number {
  const segmentsMs = durationsMs(playlist);
  const loopMs = segmentsMs.reduce((sum, ms) => sum + ms, 0);
  const elapsed = Math.max(0, Math.floor(elapsedMs));
  let remainingMs = elapsed % loopMs;
  let index = 0;
  for (const ms of segmentsMs) {
    if (remainingMs < ms) break;
    remainingMs -= ms;
    index++;
  }
  return Math.floor(elapsed / loopMs) * segmentsMs.length + index;
}

/**
 * The live media playlist at `elapsedMs`: `windowSegments` segments named `seg_<sequence>.ts`
 * (segment `sequence mod count` of the VOD), no PLAYLIST-TYPE and no ENDLIST, with an
 * EXT-X-DISCONTINUITY where the loop wraps (timestamps jump back to the start).
 */
export function livePlaylist(playlist: VodPlaylist, elapsedMs: number, windowSegments: number): string {
  const count = playlist.segmentDurationsSeconds.length;
  const first = firstSequenceAt(playlist, elapsedMs);
  // A discontinuity precedes every segment whose sequence is a positive multiple of count. Those
  // already dropped from the window, including one before the first segment, are counted by
  // EXT-X-DISCONTINUITY-SEQUENCE (RFC 8216 §4.3.3.3, §6.2.2).
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

/**
 * Whether live segment `sequence` may be served at `elapsedMs`: anything in the window or up to
 * two windows behind it (a player or peer working from an older playlist), nothing not yet listed.
 */
export function liveSegmentAvailable(
  playlist: VodPlaylist,
  elapsedMs: number,
  windowSegments: number,
  sequence: number,
): boolean {
  const first = firstSequenceAt(playlist, elapsedMs);
  return sequence >= 0 && sequence >= first - 2 * windowSegments && sequence < first + windowSegments;
}
