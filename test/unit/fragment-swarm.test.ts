import assert from 'node:assert/strict';
import type { Fragment, FragmentLoaderContext, PlaylistLevelType } from 'hls.js';
// The ESM build: the CommonJS one is a stub in Node (no MediaSource).
import { M3U8Parser } from 'hls.js/dist/hls.mjs';
import { checkedSegmentOf, renditionKey, segmentIdOf } from '../../lib/hls/fragment-swarm.ts';
import { deriveSwarmId } from '../../lib/shared/swarm-id.ts';
import { segmentStructureProblem } from '../../lib/policy/segment-check.ts';

// Which fragments hls.js hands the fLoader go to peers: its own playlist parser makes the
// fragments, and the contexts are the ones its fragment loader builds (a byte range as
// rangeStart/rangeEnd, else 0/0).

const BASE = 'http://origin.test/stream/';

// `level`: hls.js's index of the rendition (it differs between browsers: unplayable codecs are dropped).
function fragmentsOf(type: string, uri: string, lines: string[], base = BASE, level = 0): Fragment[] {
  const text = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:2', ...lines, '#EXT-X-ENDLIST', ''].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- hls.js's PlaylistLevelType by value
  const details = M3U8Parser.parseLevelPlaylist(text, base + uri, level, type as PlaylistLevelType, 0, null);
  return details.fragments;
}

const naming = (swarmId: string | null = null, streamUrl: string | null = null) => ({
  config: { swarmId },
  originBaseUrls: [],
  playback: { streamUrl },
});

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
  return segmentIdOf(contextOf(frag), naming()) !== null;
};

describe('which fragments peers share', () => {
  it('shares video and separate-audio media segments, each rendition in its own swarm', () => {
    const video = fragmentsOf('main', 'v/index.m3u8', ['#EXT-X-MAP:URI="init.mp4"', '#EXTINF:2,', 'seg_0.m4s']);
    const audio = fragmentsOf('audio', 'a/index.m3u8', ['#EXT-X-MAP:URI="init.mp4"', '#EXTINF:2,', 'seg_0.m4s']);
    const videoId = segmentIdOf(contextOf(video[0]!), naming());
    const audioId = segmentIdOf(contextOf(audio[0]!), naming());
    assert.equal(videoId?.sequenceNumber, 0);
    assert.equal(audioId?.sequenceNumber, 0);
    assert.notEqual(videoId?.swarmId, audioId?.swarmId);
  });

  it('leaves init segments (EXT-X-MAP) to HTTP', () => {
    const [first] = fragmentsOf('main', 'v/index.m3u8', ['#EXT-X-MAP:URI="init.mp4"', '#EXTINF:2,', 'seg_0.m4s']);
    assert.equal(shared(first?.initSegment), false);
    const [ranged] = fragmentsOf('main', 'v/index.m3u8', [
      '#EXT-X-MAP:URI="all.mp4",BYTERANGE="720@0"',
      '#EXTINF:2,',
      '#EXT-X-BYTERANGE:1000@720',
      'all.mp4',
    ]);
    assert.equal(shared(ranged?.initSegment), false);
  });

  it('shares byte-range segments (EXT-X-BYTERANGE, from offset 0 too) by sequence number, each checked as its range of the file', () => {
    const ranges = fragmentsOf('main', 'v/index.m3u8', [
      '#EXTINF:2,',
      '#EXT-X-BYTERANGE:1000@0',
      'all.ts',
      '#EXTINF:2,',
      '#EXT-X-BYTERANGE:1504',
      'all.ts',
    ]);
    const ids = ranges.map((frag) => segmentIdOf(contextOf(frag), naming()));
    assert.deepEqual(
      ids.map((id) => id?.sequenceNumber),
      [0, 1],
    );
    assert.equal(ids[0]?.swarmId, ids[1]?.swarmId, 'one rendition, one swarm');
    const checked = ranges.map((frag, i) => checkedSegmentOf(contextOf(frag), ids[i]!));
    assert.deepEqual(
      checked.map(({ url, range }) => ({ url, range })),
      [
        { url: `${BASE}v/all.ts`, range: { offset: 0, length: 1000 } },
        { url: `${BASE}v/all.ts`, range: { offset: 1000, length: 1504 } },
      ],
    );
    const [whole] = fragmentsOf('main', 'v/index.m3u8', ['#EXTINF:2,', 'seg_0.ts']);
    const wholeId = segmentIdOf(contextOf(whole!), naming());
    assert.equal(checkedSegmentOf(contextOf(whole!), wholeId!).range, null, 'a whole file has no range');
  });

  it('leaves subtitle fragments (WebVTT) to HTTP: the checks know no WebVTT, and hls.js never reports them buffered', () => {
    const subtitles = fragmentsOf('subtitle', 's/index.m3u8', ['#EXTINF:2,', 'seg_0.vtt']);
    assert.equal(shared(subtitles[0]), false);
    // Why: an honest peer's WebVTT segment would fail the structure check (a ban).
    const vtt = new TextEncoder().encode('WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n');
    assert.equal(segmentStructureProblem(vtt, null), 'unknown format');
  });

  it('names a rendition under a configured stream id by its playlist, not by hls.js level index', () => {
    const segment = ['#EXTINF:2,', 'seg_0.ts'];
    // Two browsers, signed URLs on two hosts: one drops a rendition it cannot play, so 720p is level 2
    // in one and level 1 in the other; the master playlists lie in each viewer's signed directory.
    const inA = fragmentsOf('main', '720p/index.m3u8', segment, 'https://a.example/t/tok1/', 2)[0]!;
    const inB = fragmentsOf('main', '720p/index.m3u8', segment, 'https://b.example/t/tok2/', 1)[0]!;
    const other = fragmentsOf('main', '480p/index.m3u8', segment, 'https://b.example/t/tok2/', 2)[0]!;
    const idA = segmentIdOf(contextOf(inA), naming('talk', 'https://a.example/t/tok1/master.m3u8?sig=1'));
    const idB = segmentIdOf(contextOf(inB), naming('talk', 'https://b.example/t/tok2/master.m3u8'));
    const idOther = segmentIdOf(contextOf(other), naming('talk', 'https://b.example/t/tok2/master.m3u8'));
    assert.equal(idA?.swarmId, idB?.swarmId);
    assert.equal(idA?.swarmId, deriveSwarmId('talk', 'main/720p/index.m3u8'));
    assert.notEqual(idOther?.swarmId, idB?.swarmId);
    assert.equal(idOther?.swarmId, deriveSwarmId('talk', 'main/480p/index.m3u8'));
  });

  it("names a rendition outside the stream URL's directory, or with none known, by its path", () => {
    assert.equal(
      renditionKey('https://a.example/live/720p.m3u8?x=1', 'https://a.example/master/m.m3u8'),
      '/live/720p.m3u8',
    );
    assert.equal(renditionKey('https://a.example/live/720p.m3u8', null), '/live/720p.m3u8');
    assert.equal(renditionKey('https://b.example/s/index.m3u8#t', 'https://b.example/s/index.m3u8'), 'index.m3u8');
  });
});
