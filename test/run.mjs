#!/usr/bin/env node
// Runs the whole mocha suite inside a network namespace that has only loopback, so WebRTC
// (Chromium and the Node stacks) can only use 127.0.0.1. See ../shared/docs/environment.md.
import { spawnSync } from 'node:child_process';
import process from 'node:process';

import { existsSync } from 'node:fs';

const mochaArgs = process.argv.slice(2);
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
  console.error('peercdn tests: no Chromium found. Install it (apt-get install -y chromium) or set PUPPETEER_EXECUTABLE_PATH.');
  process.exit(2);
}
const INSIDE = 'PEERCDN_IN_LOOPBACK_NAMESPACE';

function runMocha() {
  const result = spawnSync(process.execPath, ['node_modules/mocha/bin/mocha.js', ...mochaArgs], {
    stdio: 'inherit',
    env: process.env,
  });
  process.exit(result.status ?? 1);
}

if (process.env[INSIDE] !== '1') ensureChromium();

if (process.env[INSIDE] === '1' || process.env.PEERCDN_NO_NAMESPACE === '1') {
  if (process.env.PEERCDN_NO_NAMESPACE === '1') {
    console.warn('peercdn tests: PEERCDN_NO_NAMESPACE=1, running on the host network (WebRTC may use non-loopback addresses)');
  }
  runMocha();
}

const setup = 'ip link set lo up && ip route add default dev lo && exec "$0" "$@"';
const inner = [process.execPath, 'test/run.mjs', ...mochaArgs];
const env = { ...process.env, [INSIDE]: '1' };
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const attempts = isRoot ? [['-n'], ['-rn']] : [['-rn']];
for (const flags of attempts) {
  const result = spawnSync('unshare', [...flags, '--', 'sh', '-c', setup, ...inner], { stdio: 'inherit', env });
  // 1 with no output means unshare itself failed (no permission); anything else is the tests' result.
  if (result.error === undefined && !(result.status === 1 && result.signal === null && probeFails(flags))) {
    process.exit(result.status ?? 1);
  }
}
console.error(
  [
    'peercdn tests: could not create a loopback-only network namespace (unshare -n as root, or unshare -rn).',
    'Run the tests as root, enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1),',
    'or set PEERCDN_NO_NAMESPACE=1 to run on the host network at your own risk.',
  ].join('\n'),
);
process.exit(2);

function probeFails(flags) {
  const probe = spawnSync('unshare', [...flags, '--', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
  return probe.status !== 0;
}
