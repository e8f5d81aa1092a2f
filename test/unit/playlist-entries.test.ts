import assert from 'node:assert/strict';
import {
  isMultivariantPlaylist,
  mediaPlaylistEntries,
  mediaPlaylistUris,
} from '../../tracker/packaging/playlist-entries.ts';

describe('playlist entries for hash manifests', () => {
  it('lists variant streams and alternate renditions of a multivariant playlist once each', () => {
    const master = [
      '#EXTM3U',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",URI="audio/en.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.42c01e,mp4a.40.2",AUDIO="aud"',
      '',
      '180p/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=2',
      '240p/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=3',
      '180p/index.m3u8',
    ].join('\n');
    assert.equal(isMultivariantPlaylist(master), true);
    assert.deepEqual(mediaPlaylistUris(master), ['audio/en.m3u8', '180p/index.m3u8', '240p/index.m3u8']);
  });

  it('reads segments, byte ranges (an offset continues the previous range of the same file) and init segments', () => {
    const media = [
      '#EXTM3U',
      '#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"',
      '#EXTINF:2,',
      '#EXT-X-BYTERANGE:1000@720',
      'all.mp4',
      '#EXTINF:2,',
      '#EXT-X-BYTERANGE:500',
      'all.mp4',
      '#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"',
      '#EXTINF:2,',
      'seg_2.m4s',
      '#EXT-X-ENDLIST',
    ].join('\r\n');
    assert.deepEqual(mediaPlaylistEntries(media), {
      segments: [
        { uri: 'all.mp4', range: { offset: 720, length: 1000 } },
        { uri: 'all.mp4', range: { offset: 1720, length: 500 } },
        { uri: 'seg_2.m4s' },
      ],
      initSegments: [{ uri: 'init.mp4', range: { offset: 0, length: 720 } }],
      live: false,
    });
  });

  it('calls a playlist without ENDLIST live, and rejects a range without offset that follows nothing', () => {
    assert.equal(mediaPlaylistEntries('#EXTM3U\n#EXTINF:2,\nseg_1.ts\n').live, true);
    assert.throws(() => mediaPlaylistEntries('#EXTM3U\n#EXT-X-BYTERANGE:10\na.ts\n'), /without an offset/);
  });
});
