// `npm run bench -- sim` runs the simulator in a child Node process: the simulator and the library
// bundled into one file by esbuild (tsx's per-file transform costs ~10% of a run), on a V8 young
// generation large enough that the engine's short-lived messages and segment copies die young
// (`--max-semi-space-size`: garbage collection was 17% of a run; 64 MiB measured fastest).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ENTRY = fileURLToPath(new URL('./sim-main.ts', import.meta.url));
// Inside the repository, so the bundle's bare imports (hls.js types only, ws) resolve from node_modules.
const BUILD_DIR = fileURLToPath(new URL('../../.tmp/sim/', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const SEMI_SPACE_MIB = 64;

/** Bundle the simulator, run it with `args` in a child process; resolves with its exit code. */
export async function launchSim(args: readonly string[]): Promise<number> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const outfile = `${BUILD_DIR}sim-main.mjs`;
  await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  const child = spawn(process.execPath, [`--max-semi-space-size=${SEMI_SPACE_MIB}`, outfile, RESULTS_DIR, ...args], {
    stdio: 'inherit',
  });
  // Ctrl-C reaches the child through the terminal's process group; the parent waits for its exit.
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}
