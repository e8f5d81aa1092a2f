import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { segmentStructureProblem } from '../../lib/policy/segment-check.ts';
import { parseHashManifest, type HashManifest } from '../../lib/shared/hash-manifest.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO, 'dist/cli/peercdn.js'); // built by `npm test` (npm run build)
const SAMPLE = join(REPO, 'fixtures/sample');

function peercdn(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function readManifest(path: string): HashManifest {
  const result = parseHashManifest(readFileSync(path, 'utf8'));
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.manifest;
}

/** `sha256sum` of each file, by absolute path: the reference the manifest must equal. */
function sha256sum(files: string[]): Map<string, string> {
  const out = execFileSync('sha256sum', files, { encoding: 'utf8' });
  return new Map(
    out
      .trim()
      .split('\n')
      .map((line) => [resolve(line.slice(66)), line.slice(0, 64)] as const),
  );
}

/** Every entry's hash equals sha256sum of the file it names (whole-file entries). */
function assertHashesMatchFiles(manifestPath: string, expectInit: boolean): number {
  let checked = 0;
  for (const rendition of readManifest(manifestPath).renditions) {
    const entries = [...rendition.segments, ...rendition.initSegments];
    assert.equal(rendition.initSegments.length > 0, expectInit);
    const files = entries.map((entry) => resolve(dirname(manifestPath), entry.uri));
    const reference = sha256sum(files);
    entries.forEach((entry, i) => assert.equal(entry.sha256, reference.get(files[i] as string), entry.uri));
    checked += entries.length;
  }
  return checked;
}

describe('peercdn hash', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'peercdn-hash-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a manifest beside each media playlist whose hashes equal sha256sum of every sample segment', () => {
    cpSync(SAMPLE, join(dir, 'sample'), { recursive: true });
    const run = peercdn(['hash', join(dir, 'sample')]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /wrote .*180p\/index\.hashes\.json/);
    for (const name of ['180p', '240p']) {
      const manifest = join(dir, 'sample', name, 'index.hashes.json');
      assert.equal(assertHashesMatchFiles(manifest, false), 30);
      assert.deepEqual(
        readManifest(manifest).renditions.map((r) => [r.playlist, r.live]),
        [['index.m3u8', false]],
      );
    }
    assert.equal(peercdn(['hash', join(dir, 'sample')]).stdout, '', 'an unchanged manifest is not rewritten');
  });

  it('writes one manifest for every rendition of a master playlist with --out, URIs relative to it', () => {
    cpSync(SAMPLE, join(dir, 'sample'), { recursive: true });
    const out = join(dir, 'sample', 'hashes.json');
    assert.equal(peercdn(['hash', join(dir, 'sample', 'master.m3u8'), '--out', out]).status, 0);
    const manifest = readManifest(out);
    assert.deepEqual(
      manifest.renditions.map((r) => r.playlist),
      ['180p/index.m3u8', '240p/index.m3u8'],
    );
    assert.equal(manifest.renditions[1]?.segments[0]?.uri, '240p/seg_000.ts');
    assert.equal(assertHashesMatchFiles(out, false), 60);
  });

  it('fails with a message for a path that is not a playlist', () => {
    writeFileSync(join(dir, 'notes.m3u8'), 'hello');
    const run = peercdn(['hash', join(dir, 'notes.m3u8')]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /not an HLS playlist/);
  });

  // A master naming ../ read a file outside the folder (its text in the error line) and wrote a
  // manifest beside it.
  it('refuses playlists and segments outside the folder of the stream, with one line, writing nothing', () => {
    const media = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nseg.ts\n#EXT-X-ENDLIST\n';
    for (const [folder, files] of [
      ['stream', { 'master.m3u8': '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n../outside/index.m3u8\n' }],
      ['inside', { 'a/index.m3u8': media.replace('seg.ts', '../../outside/seg.ts'), 'a/seg.ts': 'x' }],
      ['escaped', { 'index.m3u8': media.replace('seg.ts', '%2e%2e/outside/seg.ts') }],
    ] as const) {
      for (const [name, text] of Object.entries({
        ...files,
        '../outside/index.m3u8': media,
        '../outside/seg.ts': 's',
      })) {
        mkdirSync(dirname(join(dir, folder, name)), { recursive: true });
        writeFileSync(join(dir, folder, name), text);
      }
      const input = folder === 'stream' ? join(dir, folder, 'master.m3u8') : join(dir, folder);
      const run = peercdn(['hash', input]);
      assert.equal(run.status, 1, folder);
      assert.match(
        run.stderr,
        /^peercdn: .* is outside .*: only files inside the stream's folder are hashed\n$/,
        folder,
      );
      assert.equal(run.stdout, '', folder);
    }
    assert.deepEqual(readdirSync(join(dir, 'outside')).sort(), ['index.m3u8', 'seg.ts']);
  });

  it('keeps a live folder’s manifest current with --watch, keeping segments that just left the playlist', async () => {
    const segment = (n: number): string => `seg_${n}.ts`;
    const playlist = (first: number, count: number): string =>
      ['#EXTM3U', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${first}`]
        .concat(Array.from({ length: count }, (_, i) => [`#EXTINF:2.0,`, segment(first + i)]).flat())
        .join('\n') + '\n';
    const publish = (n: number): void =>
      cpSync(join(SAMPLE, '180p', `seg_${String(n).padStart(3, '0')}.ts`), join(dir, segment(n)));
    [0, 1].forEach(publish);
    writeFileSync(join(dir, 'index.m3u8'), playlist(0, 2));
    const child: ChildProcess = spawn(process.execPath, [CLI, 'hash', join(dir, 'index.m3u8'), '--watch'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
      const nextWrite = async (): Promise<void> => {
        for (;;) {
          const line = await lines.next();
          if (line.done === true) assert.fail('the watcher exited');
          if (line.value.startsWith('wrote ')) return;
        }
      };
      await nextWrite();
      const manifestPath = join(dir, 'index.hashes.json');
      assert.deepEqual(
        readManifest(manifestPath).renditions[0]?.segments.map((s) => s.uri),
        [segment(0), segment(1)],
      );
      assert.equal(readManifest(manifestPath).renditions[0]?.live, true);
      // The window moves on: segment 2 appears, segment 0 leaves the playlist (its file stays).
      publish(2);
      writeFileSync(join(dir, 'index.m3u8'), playlist(1, 2));
      await nextWrite();
      assert.deepEqual(
        readManifest(manifestPath).renditions[0]?.segments.map((s) => s.uri),
        [segment(0), segment(1), segment(2)],
      );
      assert.equal(assertHashesMatchFiles(manifestPath, false), 3);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
  });
});

describe('peercdn package', function () {
  this.timeout(120_000);
  let dir: string;
  let clip: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'peercdn-package-'));
    clip = join(dir, 'clip.mp4');
    // A short generated clip: 6 s, 320x240 at 30 fps, with a tone.
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=30:duration=6',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=6',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-shortest',
      clip,
    ]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const fmp4 of [false, true]) {
    it(`packages a clip into two renditions of 2-s ${fmp4 ? 'fMP4' : 'MPEG-TS'} segments with hash manifests`, () => {
      const out = join(dir, fmp4 ? 'fmp4' : 'ts');
      const run = peercdn(['package', clip, out, ...(fmp4 ? ['--fmp4'] : [])]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, /packaging 240p, 144p.*: 100%/, 'progress reaches 100%');
      const master = readFileSync(join(out, 'master.m3u8'), 'utf8');
      assert.match(master, /RESOLUTION=320x240/);
      assert.match(master, /RESOLUTION=192x144/);
      for (const name of ['240p', '144p']) {
        const playlist = readFileSync(join(out, name, 'index.m3u8'), 'utf8');
        assert.deepEqual(
          [...playlist.matchAll(/^#EXTINF:([\d.]+),/gm)].map((m) => Number(m[1])),
          [2, 2, 2],
        );
        assert.equal(/^seg_000\.(\w+)$/m.exec(playlist)?.[1], fmp4 ? 'm4s' : 'ts');
        assert.equal(assertHashesMatchFiles(join(out, name, 'index.hashes.json'), fmp4), fmp4 ? 4 : 3);
        // What ffmpeg made passes the structural check peers' segments must pass.
        const first = new Uint8Array(readFileSync(join(out, name, `seg_000.${fmp4 ? 'm4s' : 'ts'}`)));
        assert.equal(segmentStructureProblem(first, fmp4 ? 'fmp4' : 'mpegts'), null);
      }
    });
  }

  it('says how to install ffmpeg when it is missing', () => {
    const run = peercdn(['package', clip, join(dir, 'none')], { PEERCDN_FFMPEG: join(dir, 'no-such-ffmpeg') });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /ffmpeg not found.*apt-get install ffmpeg/);
  });

  it('refuses an output directory that is not empty', () => {
    const run = peercdn(['package', clip, dir]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /is not empty/);
  });
});
