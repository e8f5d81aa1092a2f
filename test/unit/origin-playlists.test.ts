import assert from 'node:assert/strict';
import { parseRange } from '../../demo/http-range.ts';
import { livePlaylist, liveSegmentAvailable, parseVodPlaylist } from '../../demo/live-playlist.ts';

const VOD = parseVodPlaylist(
  ['#EXTM3U', '#EXT-X-TARGETDURATION:2', ...[0, 1, 2, 3, 4].flatMap((i) => ['#EXTINF:2.000000,', `seg_00${i}.ts`]), '#EXT-X-ENDLIST'].join('\n'),
);
const sequences = (text: string): number[] => [...text.matchAll(/^seg_(\d+)\.ts$/gm)].map((m) => Number(m[1]));

describe('simulated live playlist', () => {
  it('starts with a full window at sequence 0', () => {
    const text = livePlaylist(VOD, 0, 3);
    assert.deepEqual(sequences(text), [0, 1, 2]);
    assert.match(text, /#EXT-X-MEDIA-SEQUENCE:0\n/);
    assert.match(text, /#EXT-X-TARGETDURATION:2\n/);
    assert.doesNotMatch(text, /ENDLIST|PLAYLIST-TYPE/);
  });

  it('advances one segment per target duration of elapsed time', () => {
    assert.deepEqual(sequences(livePlaylist(VOD, 1999, 3)), [0, 1, 2]);
    assert.deepEqual(sequences(livePlaylist(VOD, 2000, 3)), [1, 2, 3]);
    assert.match(livePlaylist(VOD, 7000, 3), /#EXT-X-MEDIA-SEQUENCE:3\n/);
  });

  it('marks the loop wrap with a discontinuity and counts passed wraps', () => {
    const text = livePlaylist(VOD, 6000, 4);
    assert.deepEqual(sequences(text), [3, 4, 5, 6]);
    assert.match(text, /seg_4\.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2\.000000,\nseg_5\.ts/);
    assert.match(text, /#EXT-X-DISCONTINUITY-SEQUENCE:0\n/);
    const later = livePlaylist(VOD, 12_000, 4);
    assert.deepEqual(sequences(later), [6, 7, 8, 9]);
    assert.match(later, /#EXT-X-DISCONTINUITY-SEQUENCE:1\n/);
    assert.doesNotMatch(later, /#EXT-X-DISCONTINUITY\n/);
  });

  it('serves segments from two windows back up to one window ahead', () => {
    assert.equal(liveSegmentAvailable(VOD, 20_000, 3, 10), true);
    assert.equal(liveSegmentAvailable(VOD, 20_000, 3, 4), true);
    assert.equal(liveSegmentAvailable(VOD, 20_000, 3, 3), false);
    assert.equal(liveSegmentAvailable(VOD, 20_000, 3, 13), true);
    assert.equal(liveSegmentAvailable(VOD, 20_000, 3, 14), false);
  });
});

describe('HTTP Range parsing', () => {
  it('parses the three single-range forms', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { kind: 'range', range: { start: 0, end: 9 } });
    assert.deepEqual(parseRange('bytes=90-', 100), { kind: 'range', range: { start: 90, end: 99 } });
    assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'range', range: { start: 90, end: 99 } });
    assert.deepEqual(parseRange('bytes=50-500', 100), { kind: 'range', range: { start: 50, end: 99 } });
  });

  it('reports unsatisfiable ranges', () => {
    assert.deepEqual(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
  });

  it('ignores absent, malformed and multi-range headers', () => {
    for (const header of [undefined, 'bytes=', 'bytes=a-b', 'items=0-1', 'bytes=0-1,5-6', 'bytes=9-2']) {
      assert.deepEqual(parseRange(header, 100), { kind: 'none' }, String(header));
    }
  });
});
