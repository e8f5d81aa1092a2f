// Re-run a Node script inside a network namespace that has only loopback, so WebRTC (Chromium and
// the Node stacks) can only use 127.0.0.1. Used by the test runner and the swarm benchmark.
// Recipe and pitfalls: ../shared/docs/environment.md.
import { spawnSync } from 'node:child_process';
import process from 'node:process';

const INSIDE = 'PEERCDN_IN_LOOPBACK_NAMESPACE';

/** True when this process already runs inside the loopback namespace (or the user opted out). */
export function inLoopbackNamespace() {
  return process.env[INSIDE] === '1' || process.env.PEERCDN_NO_NAMESPACE === '1';
}

/**
 * Run `node <script> <args>` in a fresh loopback-only namespace and exit with its status.
 * As root: `unshare -n`; otherwise `unshare -rn`; if neither works, explain and exit 2.
 */
export function reexecInLoopbackNamespace(script, args) {
  const setup = 'ip link set lo up && ip route add default dev lo && exec "$0" "$@"';
  const env = { ...process.env, [INSIDE]: '1' };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  for (const flags of isRoot ? [['-n'], ['-rn']] : [['-rn']]) {
    const probe = spawnSync('unshare', [...flags, '--', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
    if (probe.error !== undefined || probe.status !== 0) continue;
    const result = spawnSync(
      'unshare',
      [...flags, '--', 'sh', '-c', setup, process.execPath, ...process.execArgv, script, ...args],
      {
        stdio: 'inherit',
        env,
      },
    );
    process.exit(result.status ?? 1);
  }
  console.error(
    [
      'peercdn: could not create a loopback-only network namespace (unshare -n as root, or unshare -rn).',
      'Run as root, enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1),',
      'or set PEERCDN_NO_NAMESPACE=1 to run on the host network (WebRTC may then use other addresses).',
    ].join('\n'),
  );
  process.exit(2);
}
