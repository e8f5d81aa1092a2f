#!/usr/bin/env node
// `npm test` (after the build): the whole mocha suite inside a loopback-only network namespace.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { inLoopbackNamespace, reexecInLoopbackNamespace } from './loopback-namespace.mjs';
import { preparePackedPlayer } from './pack-install.mjs';

// No arguments: every test layer. Otherwise the given files (mocha's positional specs).
const ALL_TESTS = ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'];
const mochaArgs = process.argv.length > 2 ? process.argv.slice(2) : ALL_TESTS;
const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

// Browser tests need Chromium; puppeteer's own download does not work everywhere, so use the system's.
function ensureChromium() {
  const fromEnv = process.env.PUPPETEER_EXECUTABLE_PATH ?? process.env.CHROME_PATH;
  if ((fromEnv && existsSync(fromEnv)) || CHROMIUM_PATHS.some((path) => existsSync(path))) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log('peercdn tests: installing Chromium (apt-get install -y chromium)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const result = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
    if (result.status === 0) return;
  }
  console.error(
    'peercdn tests: no Chromium found. Install it (apt-get install -y chromium) or set PUPPETEER_EXECUTABLE_PATH.',
  );
  process.exit(2);
}

// The pack test's npm install needs the registry, which the namespace cannot reach: done first.
const packTestSelected = mochaArgs.some((spec) => spec.startsWith('test/browser/**') || spec.includes('pack.test'));
if (packTestSelected && process.env.PEERCDN_IN_LOOPBACK_NAMESPACE !== '1') {
  preparePackedPlayer(fileURLToPath(new URL('../', import.meta.url)));
}
if (!inLoopbackNamespace()) {
  ensureChromium();
  reexecInLoopbackNamespace(fileURLToPath(import.meta.url), mochaArgs);
}
if (process.env.PEERCDN_NO_NAMESPACE === '1') {
  console.warn('peercdn tests: PEERCDN_NO_NAMESPACE=1, running on the host network');
}
const result = spawnSync(process.execPath, ['node_modules/mocha/bin/mocha.js', ...mochaArgs], { stdio: 'inherit' });
process.exit(result.status ?? 1);
