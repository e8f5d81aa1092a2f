// Stream shapes real sites serve beyond one muxed rendition: CMAF (fMP4) video with a separate
// audio rendition (EXT-X-MEDIA TYPE=AUDIO, its own swarm: hls.js loads its fragments through the
// same fLoader), media segments encrypted with AES-128 (EXT-X-KEY; hls.js decrypts after loading,
// so peers share ciphertext) and WebVTT subtitles (EXT-X-MEDIA TYPE=SUBTITLES, loaded through the
// fLoader too). Two Chromium viewers play it from a plain static origin: the second takes video
// and audio segments from the first, nobody is banned, and every fragment hls.js got is the
// origin's file byte for byte.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { useBrowserFixture } from '../helpers/browser-fixture.ts';
import { assertHonestPlayback, playInTurn, sourceLine } from '../helpers/viewer-page.ts';

const CLIP_SECONDS = 20; // 10 segments of 2 s per rendition

// CMAF video (r0, with the subtitles beside it) and audio (r1) renditions and WebVTT subtitles.
function makeStream(dir: string): void {
  writeFileSync(
    join(dir, 'subs.srt'),
    '1\n00:00:00.500 --> 00:00:09.000\nfirst\n\n2\n00:00:10.000 --> 00:00:19.000\nsecond\n',
  );
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=30:duration=${CLIP_SECONDS}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${CLIP_SECONDS}`],
    ...['-i', join(dir, 'subs.srt'), '-map', '0:v', '-map', '1:a', '-map', '2:s'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0'],
    ...['-c:a', 'aac', '-b:a', '64k', '-c:s', 'webvtt'],
    ...['-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4'],
    ...['-var_stream_map', 'v:0,s:0,agroup:aud,sgroup:subs a:0,agroup:aud,default:yes'],
    ...['-master_pl_name', 'master.m3u8', '-hls_fmp4_init_filename', 'init.mp4'],
    ...['-hls_segment_filename', join(dir, 'r%v/seg_%03d.m4s'), join(dir, 'r%v/index.m3u8')],
  ]);
  // hls.js loads a subtitle track marked default.
  const master = join(dir, 'master.m3u8');
  writeFileSync(
    master,
    readFileSync(master, 'utf8').replace('TYPE=SUBTITLES,GROUP-ID="subs",NAME="subtitle_0",DEFAULT=NO', (tag) =>
      tag.replace('DEFAULT=NO', 'DEFAULT=YES,AUTOSELECT=YES'),
    ),
  );
  // ffmpeg 5.1 does not encrypt fMP4 ("not yet supported"): the media segments are encrypted here
  // as packagers do for METHOD=AES-128 (AES-128-CBC, PKCS#7, no IV attribute: the IV is the media
  // sequence number), the init segments stay clear (the key tag follows EXT-X-MAP).
  const key = randomBytes(16);
  writeFileSync(join(dir, 'key.bin'), key);
  for (const rendition of ['r0', 'r1']) {
    const playlist = join(dir, rendition, 'index.m3u8');
    const text = readFileSync(playlist, 'utf8');
    writeFileSync(playlist, text.replace(/(#EXT-X-MAP:.*\n)/, '$1#EXT-X-KEY:METHOD=AES-128,URI="../key.bin"\n'));
    for (const name of readdirSync(join(dir, rendition)).filter((file) => file.endsWith('.m4s'))) {
      const iv = Buffer.alloc(16);
      iv.writeUInt32BE(Number(/seg_(\d+)/.exec(name)?.[1]), 12);
      const file = join(dir, rendition, name);
      const cipher = createCipheriv('aes-128-cbc', key, iv);
      writeFileSync(file, Buffer.concat([cipher.update(readFileSync(file)), cipher.final()]));
    }
  }
}

describe('CMAF with a separate audio rendition, AES-128 segments and WebVTT subtitles, played with P2P in Chromium', function () {
  this.timeout(300_000);
  let dir = '';
  // Registered before the fixture's hooks: the stream exists when its origin starts.
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'peercdn-shapes-'));
    makeStream(dir);
  });
  const fixture = useBrowserFixture({ staticRoutes: () => ({ '/shapes/': dir }) });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('the second viewer takes encrypted video and audio segments from the first (two swarms), bans nobody, and plays the origin’s bytes', async () => {
    const open = (viewerId: string): Promise<Page> =>
      fixture().openViewer({
        mode: 'vod',
        viewerId,
        level: 0,
        extraQuery: { src: '/shapes/master.m3u8', recordHashes: '1' },
      });
    const { a, b, delivered } = await playInTurn(
      () => open('shapes-A'),
      () => open('shapes-B'),
      4,
      12,
    );
    console.log(
      `      B p2p ${b.stats?.p2pBytes} B, rejected ${b.stats?.segmentsRejected}; sources A ${sourceLine(a)} | B ${sourceLine(b)}`,
    );

    assertHonestPlayback({ A: a, B: b });
    // Shared segments are video and audio only: two swarms (subtitles load over HTTP).
    for (const [name, snapshot] of Object.entries({ A: a, B: b }))
      assert.equal(new Set(snapshot.segments.map((segment) => segment.swarmId)).size, 2, `${name}'s swarms`);
    const peerSwarms = new Set(b.segments.filter((s) => s.source === 'peer').map((s) => s.swarmId));
    assert.equal(peerSwarms.size, 2, `B took video and audio segments from A: ${sourceLine(b)}`);
    delivered.forEach((fragments, i) => {
      assert.ok(
        fragments.some(({ url }) => url.endsWith('.vtt')),
        `viewer ${i} loaded no subtitle fragment through the fLoader`,
      );
      for (const { url, sha256 } of fragments) {
        const path = new URL(url).pathname;
        assert.ok(path.startsWith('/shapes/'), `an unexpected fragment ${url}`);
        const file = join(dir, decodeURIComponent(path.slice('/shapes/'.length)));
        assert.equal(sha256, createHash('sha256').update(readFileSync(file)).digest('hex'), `${url} differs`);
      }
    });
  });
});
