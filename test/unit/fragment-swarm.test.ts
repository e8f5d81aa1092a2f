import assert from 'node:assert/strict';
import type { Fragment, FragmentLoaderContext, PlaylistLevelType } from 'hls.js';
// The ESM build: the CommonJS one is a stub in Node (no MediaSource).
import { M3U8Parser } from 'hls.js/dist/hls.mjs';
import { segmentIdOf } from '../../lib/hls/fragment-swarm.ts';
import { segmentStructureProblem } from '../../lib/policy/segment-check.ts';

// Which fragments hls.js hands the fLoader go to peers: its own playlist parser makes the
// fragments, and the contexts are the ones its fragment loader builds (a byte range as
// rangeStart/rangeEnd, else 0/0).

const BASE = 'http://origin.test/stream/';

function fragmentsOf(type: string, uri: string, lines: string[]): Fragment[] {
  const text = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:2', ...lines, '#EXT-X-ENDLIST', ''].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- hls.js's PlaylistLevelType by value
  const details = M3U8Parser.parseLevelPlaylist(text, BASE + uri, 0, type as PlaylistLevelType, 0, null);
  return details.fragments;
}

function contextOf(frag: Fragment): FragmentLoaderContext {
  const start = frag.byteRangeStartOffset;
  const end = frag.byteRangeEndOffset;
  const ranged = Number.isFinite(start) && Number.isFinite(end);
  return {
    frag,
    part: null,
    url: frag.url,
    responseType: 'arraybuffer',
    rangeStart: ranged ? start : 0,
    rangeEnd: ranged ? end : 0,
  } as unknown as FragmentLoaderContext;
}

const shared = (frag: Fragment | null | undefined): boolean => {
  assert.ok(frag !== null && frag !== undefined);
  return segmentIdOf(contextOf(frag), null) !== null;
};

describe('which fragments peers share', () => {
  it('shares video and separate-audio media segments, each rendition in its own swarm', () => {
    const video = fragmentsOf('main', 'v/index.m3u8', ['#EXT-X-MAP:URI="init.mp4"', '#EXTINF:2,', 'seg_0.m4s']);
    const audio = fragmentsOf('audio', 'a/index.m3u8', ['#EXT-X-MAP:URI="init.mp4"', '#EXTINF:2,', 'seg_0.m4s']);
    const videoId = segmentIdOf(contextOf(video[0]!), null);
    const audioId = segmentIdOf(contextOf(audio[0]!), null);
    assert.equal(videoId?.sequenceNumber, 0);
    assert.equal(audioId?.sequenceNumber, 0);
    assert.notEqual(videoId?.swarmId, audioId?.swarmId);
  });

  it('leaves init segments (EXT-X-MAP) and byte ranges (EXT-X-BYTERANGE, from offset 0 too) to HTTP', () => {
    const [first] = fragmentsOf('main', 'v/index.m3u8', ['#EXT-X-MAP:URI="init.mp4"', '#EXTINF:2,', 'seg_0.m4s']);
    assert.equal(shared(first?.initSegment), false);
    const ranges = fragmentsOf('main', 'v/index.m3u8', [
      '#EXTINF:2,',
      '#EXT-X-BYTERANGE:1000@0',
      'all.ts',
      '#EXTINF:2,',
      '#EXT-X-BYTERANGE:1000',
      'all.ts',
    ]);
    assert.equal(shared(ranges[0]), false);
    assert.equal(shared(ranges[1]), false);
  });

  it('leaves subtitle fragments (WebVTT) to HTTP: the checks know no WebVTT, and hls.js never reports them buffered', () => {
    const subtitles = fragmentsOf('subtitle', 's/index.m3u8', ['#EXTINF:2,', 'seg_0.vtt']);
    assert.equal(shared(subtitles[0]), false);
    // Why: an honest peer's WebVTT segment would fail the structure check (a ban).
    const vtt = new TextEncoder().encode('WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n');
    assert.equal(segmentStructureProblem(vtt, null), 'unknown format');
  });
});
