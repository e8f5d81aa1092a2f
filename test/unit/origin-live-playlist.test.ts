import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  firstSequenceAt,
  livePlaylist,
  liveSegmentAvailable,
  parseVodPlaylist,
  type VodPlaylist,
} from '../../demo/live-playlist.ts';

const vod = (durationsSeconds: readonly number[], targetSeconds = 2): VodPlaylist =>
  parseVodPlaylist(
    [
      '#EXTM3U',
      '#EXT-X-VERSION:6',
      `#EXT-X-TARGETDURATION:${targetSeconds}`,
      '#EXT-X-PLAYLIST-TYPE:VOD',
      ...durationsSeconds.flatMap((seconds, i) => [
        `#EXTINF:${seconds.toFixed(6)},`,
        `seg_${String(i).padStart(3, '0')}.ts`,
      ]),
      '#EXT-X-ENDLIST',
    ].join('\n'),
  );

// Five 2-s segments: the loop wraps every 10 s.
const FIVE = vod([2, 2, 2, 2, 2]);

const sequences = (text: string): number[] => [...text.matchAll(/^seg_(\d+)\.ts$/gm)].map((m) => Number(m[1]));
const tag = (text: string, name: string): number | undefined => {
  const match = new RegExp(`^#${name}:(\\d+)$`, 'm').exec(text);
  return match === null ? undefined : Number(match[1]);
};

/** Discontinuity sequence number of each segment in a playlist, as a player derives it (RFC 8216 §6.3.3). */
function discontinuityNumbers(text: string): Map<number, number> {
  let current = tag(text, 'EXT-X-DISCONTINUITY-SEQUENCE') ?? 0;
  const numbers = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (line === '#EXT-X-DISCONTINUITY') current++;
    const segment = /^seg_(\d+)\.ts$/.exec(line);
    if (segment !== null) numbers.set(Number(segment[1]), current);
  }
  return numbers;
}

describe('simulated live playlist', () => {
  it('starts with a full window at media sequence 0', () => {
    const text = livePlaylist(FIVE, 0, 3);
    assert.deepEqual(sequences(text), [0, 1, 2]);
    assert.equal(tag(text, 'EXT-X-MEDIA-SEQUENCE'), 0);
    assert.equal(tag(text, 'EXT-X-DISCONTINUITY-SEQUENCE'), 0);
    assert.equal(tag(text, 'EXT-X-TARGETDURATION'), 2);
    assert.ok(text.startsWith('#EXTM3U\n'));
    assert.doesNotMatch(text, /#EXT-X-ENDLIST|#EXT-X-PLAYLIST-TYPE|#EXT-X-DISCONTINUITY\n/);
  });

  it('holds exactly the window size of segments, whatever the window', () => {
    for (const windowSegments of [1, 3, 6, 12]) {
      for (const elapsedMs of [0, 3_000, 9_999, 61_000]) {
        assert.equal(
          sequences(livePlaylist(FIVE, elapsedMs, windowSegments)).length,
          windowSegments,
          `${windowSegments} at ${elapsedMs} ms`,
        );
        assert.equal((livePlaylist(FIVE, elapsedMs, windowSegments).match(/^#EXTINF:/gm) ?? []).length, windowSegments);
      }
    }
  });

  it('advances one segment each time a segment duration of wall time has passed', () => {
    assert.deepEqual(sequences(livePlaylist(FIVE, 1_999, 3)), [0, 1, 2]);
    assert.deepEqual(sequences(livePlaylist(FIVE, 2_000, 3)), [1, 2, 3]);
    assert.deepEqual(sequences(livePlaylist(FIVE, 7_000, 3)), [3, 4, 5]);
    assert.equal(tag(livePlaylist(FIVE, 7_000, 3), 'EXT-X-MEDIA-SEQUENCE'), 3);
    assert.equal(tag(livePlaylist(FIVE, 3_600_000, 3), 'EXT-X-MEDIA-SEQUENCE'), 1_800);
  });

  it('keeps media sequence numbers rising with time, never falling', () => {
    let previous = -1;
    for (let elapsedMs = 0; elapsedMs <= 40_000; elapsedMs += 250) {
      const first = tag(livePlaylist(FIVE, elapsedMs, 4), 'EXT-X-MEDIA-SEQUENCE') as number;
      assert.ok(first >= previous && first <= previous + 1, `at ${elapsedMs} ms: ${first} after ${previous}`);
      previous = first;
    }
    assert.equal(previous, 20);
  });

  it('follows each segment’s own duration when they differ', () => {
    const uneven = vod([2, 3, 1], 3);
    assert.deepEqual(
      [0, 1_999, 2_000, 4_999, 5_000, 5_999, 6_000, 8_000].map((ms) => firstSequenceAt(uneven, ms)),
      [0, 0, 1, 1, 2, 2, 3, 4],
    );
    assert.match(
      livePlaylist(uneven, 0, 3),
      /#EXTINF:2\.000000,\nseg_0\.ts\n#EXTINF:3\.000000,\nseg_1\.ts\n#EXTINF:1\.000000,\nseg_2\.ts/,
    );
    assert.equal(tag(livePlaylist(uneven, 0, 3), 'EXT-X-TARGETDURATION'), 3);
  });

  it('lists each segment with the duration of the VOD segment it repeats', () => {
    const uneven = vod([2, 3, 1], 3);
    const text = livePlaylist(uneven, 12_000, 5);
    const durations = [...text.matchAll(/^#EXTINF:([\d.]+),\nseg_(\d+)\.ts$/gm)].map((m) => [
      Number(m[2]),
      Number(m[1]),
    ]);
    assert.deepEqual(durations, [
      [6, 2],
      [7, 3],
      [8, 1],
      [9, 2],
      [10, 3],
    ]);
  });

  it('puts a discontinuity before the segment where the loop wraps', () => {
    const text = livePlaylist(FIVE, 6_000, 4);
    assert.deepEqual(sequences(text), [3, 4, 5, 6]);
    assert.match(text, /seg_4\.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2\.000000,\nseg_5\.ts/);
    assert.equal((text.match(/^#EXT-X-DISCONTINUITY$/gm) ?? []).length, 1);
    assert.equal(tag(text, 'EXT-X-DISCONTINUITY-SEQUENCE'), 0);
  });

  it('puts one discontinuity per wrap when the window is longer than the loop', () => {
    const text = livePlaylist(FIVE, 8_000, 8);
    assert.deepEqual(sequences(text), [4, 5, 6, 7, 8, 9, 10, 11]);
    assert.match(text, /seg_4\.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2\.000000,\nseg_5\.ts/);
    assert.match(text, /seg_9\.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2\.000000,\nseg_10\.ts/);
    assert.equal((text.match(/^#EXT-X-DISCONTINUITY$/gm) ?? []).length, 2);
  });

  it('counts the discontinuities that left the window in the discontinuity sequence', () => {
    // seg_5 is first: its discontinuity is gone from the playlist and counted instead.
    const atWrap = livePlaylist(FIVE, 10_000, 4);
    assert.deepEqual(sequences(atWrap), [5, 6, 7, 8]);
    assert.equal(tag(atWrap, 'EXT-X-DISCONTINUITY-SEQUENCE'), 1);
    assert.doesNotMatch(atWrap, /^#EXT-X-DISCONTINUITY$/m);
    assert.equal(tag(livePlaylist(FIVE, 30_000, 4), 'EXT-X-DISCONTINUITY-SEQUENCE'), 3);
    assert.equal(tag(livePlaylist(FIVE, 29_999, 4), 'EXT-X-DISCONTINUITY-SEQUENCE'), 2);
  });

  it('gives every segment the same discontinuity number in every playlist that lists it', () => {
    // What players rely on to line up segments across reloads (RFC 8216 §6.2.2).
    const seen = new Map<number, number>();
    for (let elapsedMs = 0; elapsedMs <= 50_000; elapsedMs += 1_000) {
      for (const [sequence, number] of discontinuityNumbers(livePlaylist(FIVE, elapsedMs, 6))) {
        assert.equal(number, Math.floor(sequence / 5), `seg_${sequence} at ${elapsedMs} ms`);
        assert.equal(seen.get(sequence) ?? number, number);
        seen.set(sequence, number);
      }
    }
  });

  it('starts at sequence 0 when the clock reads before the start', () => {
    assert.deepEqual(sequences(livePlaylist(FIVE, -5_000, 3)), [0, 1, 2]);
  });

  it('serves segments in the window and up to two windows behind, none not yet listed', () => {
    // At 20 s the window is [10, 13).
    const available = (sequence: number): boolean => liveSegmentAvailable(FIVE, 20_000, 3, sequence);
    assert.deepEqual([3, 4, 10, 12, 13, 14].map(available), [false, true, true, true, false, false]);
    assert.equal(liveSegmentAvailable(FIVE, 0, 3, 0), true);
    assert.equal(liveSegmentAvailable(FIVE, 0, 3, -1), false);
    assert.equal(liveSegmentAvailable(FIVE, 0, 3, 3), false);
  });
});

describe('VOD media playlist parsing', () => {
  it('reads the target duration and every segment duration of the fixture', () => {
    const text = readFileSync(new URL('../../fixtures/sample/180p/index.m3u8', import.meta.url), 'utf8');
    const playlist = parseVodPlaylist(text);
    assert.equal(playlist.targetDurationSeconds, 2);
    assert.equal(playlist.segmentDurationsSeconds.length, 30);
    assert.ok(playlist.segmentDurationsSeconds.every((seconds) => seconds === 2));
  });

  it('rejects a master playlist and zero-length segments', () => {
    const master = readFileSync(new URL('../../fixtures/sample/master.m3u8', import.meta.url), 'utf8');
    assert.throws(() => parseVodPlaylist(master), /not a media playlist/);
    assert.throws(() => vod([2, 0, 2]), /positive/);
  });
});
