// The packages as a user gets them: `npm pack` both, install the tarballs into a new player
// project (npm registry only, from the local cache when it can), check the installed tree,
// typecheck the README's TypeScript examples, build the player with each supported bundler,
// and play two of those builds in Chromium with the second viewer receiving bytes from the first.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Page } from 'puppeteer-core';
import { BUNDLERS, buildConsumer, type BundlerName } from '../../bench/consumer-builds.ts';
import { PACK_DIR_NAME } from '../pack-install.mjs';
import { startOriginServer, type OriginServer } from '../../demo/origin-server.ts';
import { startTracker, type RunningTracker } from '../../tracker/server.ts';
import { launchChromium, newViewerPage, type LaunchedChromium } from '../helpers/chromium.ts';
import { waitVideoTime } from '../helpers/page-waits.ts';
import { guarded } from '../helpers/wait-for.ts';

// Liveness guard of a wait on a player page (playback, a peer segment): not a speed bound.
const PAGE_GUARD_MS = 120_000;
const REPO = fileURLToPath(new URL('../../', import.meta.url));

// The player: the README's example, with the tracker and stream from the page's query, and what
// the test reads exposed on `window.viewer`.
const PLAYER_ENTRY = `import Hls from 'hls.js';
import { PeerCDN } from 'peercdn';

const query = new URLSearchParams(location.search);
const peercdn = new PeerCDN({ trackerUrls: [query.get('tracker')], iceServers: [] });
const hls = new Hls({ ...peercdn.hlsConfig() });
peercdn.attach(hls);
const fatalErrors = [];
// Settles on the first segment from a peer, or on the first fatal error (which the test asserts on).
let peerSegmentOrFatal;
const firstPeerSegment = new Promise((resolve) => (peerSegmentOrFatal = resolve));
peercdn.on('segment-loaded', (event) => {
  if (event.source === 'peer') peerSegmentOrFatal();
});
hls.on(Hls.Events.ERROR, (_event, data) => {
  if (!data.fatal) return;
  fatalErrors.push(data.details);
  peerSegmentOrFatal();
});
hls.loadSource(query.get('src'));
const video = document.querySelector('video');
hls.attachMedia(video);
window.viewer = { firstPeerSegment, snapshot: () => ({ ...peercdn.stats(), playedSeconds: video.currentTime, fatalErrors }) };
`;

interface InstalledTree {
  readonly packages: string[];
  readonly bytes: number;
  readonly installScripts: string[];
  readonly nativeFiles: string[];
}

// Every package under node_modules (nested too), its install scripts and native artefacts.
function inspectTree(nodeModules: string): InstalledTree {
  const tree = { packages: [] as string[], bytes: 0, installScripts: [] as string[], nativeFiles: [] as string[] };
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      tree.bytes += statSync(path).size;
      if (entry.name.endsWith('.node') || entry.name === 'binding.gyp') tree.nativeFiles.push(path);
      if (entry.name !== 'package.json' || !dir.includes('node_modules')) continue;
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as {
        name?: string;
        scripts?: Record<string, string>;
        gypfile?: boolean;
      };
      // Only a package's own manifest (a folder directly under node_modules or a scope).
      const parent = dir.slice(0, dir.lastIndexOf('/'));
      if (
        manifest.name === undefined ||
        !(parent.endsWith('node_modules') || parent.split('/').at(-2) === 'node_modules')
      )
        continue;
      tree.packages.push(manifest.name);
      for (const script of ['preinstall', 'install', 'postinstall']) {
        if (manifest.scripts?.[script] !== undefined) tree.installScripts.push(`${manifest.name}: ${script}`);
      }
      if (manifest.gypfile === true) tree.nativeFiles.push(`${manifest.name}: gypfile`);
    }
  };
  walk(nodeModules);
  return tree;
}

// The README's ```ts blocks, one file each.
function readmeTypeScriptExamples(): string[] {
  const readme = readFileSync(`${REPO}README.md`, 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

describe('the packed packages in a new player project', function () {
  this.timeout(600_000);
  let workDir: string;
  let consumer: string;
  let outDir: string;
  let origin: OriginServer | null = null;
  let tracker: RunningTracker | null = null;
  let chromium: LaunchedChromium | null = null;
  const pages: Page[] = [];

  before(() => {
    workDir = `${REPO}${PACK_DIR_NAME}`;
    consumer = join(workDir, 'player');
    outDir = join(consumer, 'dist');
    mkdirSync(join(consumer, 'src'), { recursive: true });
    assert.ok(
      existsSync(join(workDir, 'packed.json')),
      'run through `node test/run.mjs` (npm test), which packs and installs first',
    );
    const { packed, installMs } = JSON.parse(readFileSync(join(workDir, 'packed.json'), 'utf8')) as {
      packed: { file: string; files: string[] }[];
      installMs: number;
    };
    console.log(
      `      packed: ${packed.map((pack) => `${pack.file.split('/').at(-1)} (${pack.files.length} files)`).join(', ')}; npm install ${(installMs / 1000).toFixed(1)} s`,
    );
  });

  after(async () => {
    for (const page of pages) await page.close().catch(() => undefined);
    await chromium?.close();
    await Promise.all([origin?.close(), tracker?.close()]);
  });

  it('installs no native module and runs no install script', () => {
    const tree = inspectTree(join(consumer, 'node_modules'));
    console.log(
      `      installed: ${tree.packages.length} packages, ${(tree.bytes / 1e6).toFixed(1)} MB: ${[...new Set(tree.packages)].sort().join(', ')}`,
    );
    assert.deepEqual(tree.nativeFiles, []);
    assert.deepEqual(tree.installScripts, []);
    // The browser library pulls nothing of the tracker's.
    const peercdnManifest = JSON.parse(readFileSync(join(consumer, 'node_modules/peercdn/package.json'), 'utf8')) as {
      dependencies?: object;
    };
    assert.equal(peercdnManifest.dependencies, undefined);
  });

  it("typechecks the README's TypeScript examples under strict against the installed packages", () => {
    const examples = readmeTypeScriptExamples();
    assert.ok(examples.length >= 2, 'the npm example and the swarm token example');
    examples.forEach((code, index) =>
      writeFileSync(join(consumer, 'src', `readme-${index}.ts`), `${code}\nexport {};\n`),
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022', 'DOM'],
          types: ['node'],
          noEmit: true,
          skipLibCheck: false,
        },
        include: ['src/*.ts'],
      }),
    );
    execFileSync(process.execPath, [`${REPO}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], {
      cwd: consumer,
      stdio: 'inherit',
    });
  });

  it('imports both packages in plain Node without a native addon, and both commands run', () => {
    const script = `
      const { PeerCDN } = await import('peercdn');
      new PeerCDN({ trackerUrls: ['ws://127.0.0.1:9'] }).destroy();
      const { mintSwarmToken, deriveSwarmId } = await import('peercdn-tracker');
      const token = mintSwarmToken({ secret: 'a secret of sixteen+', infoHash: deriveSwarmId('talk', 'main/0'), expiresAtSeconds: 2000000000 });
      const addons = process.report.getReport().sharedObjects.filter((file) => file.endsWith('.node'));
      console.log(JSON.stringify({ addons, token }));`;
    const result = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer, encoding: 'utf8' }),
    ) as { addons: string[]; token: string };
    assert.deepEqual(result.addons, []);
    assert.match(result.token, /^v1\.[0-9a-f]{40}\.2000000000\.[A-Za-z0-9_-]{43}$/);
    const help = execFileSync(join(consumer, 'node_modules/.bin/peercdn-tracker'), ['--help'], { encoding: 'utf8' });
    assert.match(help, /^Usage: peercdn-tracker/);
    const cliHelp = execFileSync(join(consumer, 'node_modules/.bin/peercdn'), ['--help'], { encoding: 'utf8' });
    assert.match(cliHelp, /peercdn/);
  });

  it('builds with esbuild, Vite, webpack 5 and rollup, and two builds play in Chromium with peer bytes to the second viewer', async () => {
    writeFileSync(join(consumer, 'src', 'main.js'), PLAYER_ENTRY);
    const sizes: string[] = [];
    for (const bundler of BUNDLERS) {
      const file = await buildConsumer(bundler, {
        entryFile: join(consumer, 'src', 'main.js'),
        outDir,
        bundleHls: true,
      });
      writeFileSync(
        join(outDir, bundler, 'index.html'),
        '<!doctype html><meta charset="utf-8"><video muted autoplay playsinline></video><script type="module" src="main.js"></script>\n',
      );
      sizes.push(`${bundler} ${(gzipSync(readFileSync(file), { level: 9 }).byteLength / 1024).toFixed(1)} KiB`);
    }
    console.log(`      player builds with hls.js, gzip: ${sizes.join(', ')}`);

    origin = await startOriginServer({ host: '127.0.0.1', port: 0, staticRoutes: { '/player/': outDir } });
    tracker = await startTracker({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    await chromium.allowWebRtc(origin.url);
    // A first viewer on one bundler's build, a later one on another's: peers across builds.
    const open = async (bundler: BundlerName): Promise<Page> => {
      const page = await newViewerPage(chromium!.browser);
      pages.push(page);
      const query = new URLSearchParams({ tracker: tracker!.url, src: '/vod/master.m3u8' });
      await page.goto(`${origin!.url}/player/${bundler}/index.html?${query.toString()}`);
      return page;
    };
    const first = await open('vite');
    await waitVideoTime(first, 4, PAGE_GUARD_MS);
    const second = await open('webpack');
    await guarded(
      second.evaluate(
        () => (window as unknown as { viewer: { firstPeerSegment: Promise<void> } }).viewer.firstPeerSegment,
      ),
      'the second viewer to load a segment from a peer (or fail)',
      PAGE_GUARD_MS,
    );
    const read = (
      page: Page,
    ): Promise<{ p2pBytes: number; httpBytes: number; playedSeconds: number; fatalErrors: string[] }> =>
      page.evaluate(() =>
        (
          window as unknown as {
            viewer: {
              snapshot(): { p2pBytes: number; httpBytes: number; playedSeconds: number; fatalErrors: string[] };
            };
          }
        ).viewer.snapshot(),
      );
    const [a, b] = [await read(first), await read(second)];
    console.log(
      `      vite viewer: http ${a.httpBytes} B, played ${a.playedSeconds.toFixed(1)} s; webpack viewer: p2p ${b.p2pBytes} B, http ${b.httpBytes} B`,
    );
    assert.deepEqual([a.fatalErrors, b.fatalErrors], [[], []]);
    assert.ok(b.p2pBytes > 0);
    assert.ok(existsSync(join(outDir, 'esbuild', 'main.js')) && existsSync(join(outDir, 'rollup', 'main.js')));
  });
});
