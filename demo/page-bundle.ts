// The demo page's script: demo/page/*.ts bundled by esbuild into a temporary directory at startup
// (the page uses peercdn through dist/peercdn.umd.js and hls.js through its own dist file).
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./page/main.ts', import.meta.url));

/** A directory holding `app.js` (and its source map); `remove()` deletes it. */
export interface PageBundle {
  readonly dir: string;
  remove(): void;
}

export async function buildPageBundle(): Promise<PageBundle> {
  const dir = mkdtempSync(join(tmpdir(), 'peercdn-demo-'));
  try {
    await build({
      entryPoints: [ENTRY],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      sourcemap: true,
      outfile: join(dir, 'app.js'),
      logLevel: 'silent',
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
