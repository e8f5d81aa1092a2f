// Before the tests enter the loopback-only namespace (which has no network at all), pack both
// packages and install the tarballs into a new player project, as a user would: the npm registry
// only, from the local cache when it can. test/browser/pack.test.ts then tests that project.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the packed player project is prepared. */
export const PACK_DIR_NAME = '.tmp/pack-player';

const versionOf = (repo, name) =>
  JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')).version;

/**
 * `npm pack` the root package and the tracker workspace (dist/ must be built: `npm test` builds
 * first, which is what `prepack` runs), then `npm install` the tarballs, hls.js and @types/node
 * (for the README's backend example) into `<repo>/.tmp/pack-player/player`.
 */
export function preparePackedPlayer(repo) {
  const workDir = join(repo, PACK_DIR_NAME);
  const player = join(workDir, 'player');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(player, { recursive: true });
  const packed = JSON.parse(
    execFileSync(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir, '--workspaces', '--include-workspace-root'],
      {
        cwd: repo,
        encoding: 'utf8',
      },
    ),
  ).map((pack) => ({ file: join(workDir, pack.filename), files: pack.files.map((file) => file.path) }));
  writeFileSync(join(player, 'package.json'), JSON.stringify({ name: 'player', private: true, type: 'module' }));
  const started = Date.now();
  execFileSync(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...packed.map((pack) => pack.file),
      `hls.js@${versionOf(repo, 'hls.js')}`,
      `@types/node@${versionOf(repo, '@types/node')}`,
    ],
    { cwd: player, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  writeFileSync(join(workDir, 'packed.json'), JSON.stringify({ packed, installMs: Date.now() - started }, null, 2));
}
