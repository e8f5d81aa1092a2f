// A player project's production build of `import { PeerCDN } from 'peercdn'` with each bundler
// the package supports, configured as a user would (no polyfills, no `define`). Used by
// `npm run size` (against dist/) and the pack test (against the installed tarball).
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Plugin } from 'rollup';

export const BUNDLERS = ['esbuild', 'vite', 'webpack', 'rollup'] as const;
export type BundlerName = (typeof BUNDLERS)[number];

export interface ConsumerBuildOptions {
  /** The consumer's entry module; `peercdn` and `hls.js` resolve from its folder upward. */
  readonly entryFile: string;
  /** The bundler writes `<outDir>/<bundler>/main.js`. */
  readonly outDir: string;
  /** Bundle hls.js too (a page that plays); otherwise it stays an import (size without hls.js). */
  readonly bundleHls: boolean;
  /** Module id → file, e.g. `peercdn` → the repo's dist/peercdn.mjs when nothing is installed. */
  readonly alias?: Readonly<Record<string, string>>;
}

/** Builds the consumer with one bundler in production mode; returns the output file. */
export async function buildConsumer(bundler: BundlerName, options: ConsumerBuildOptions): Promise<string> {
  const outDir = join(options.outDir, bundler);
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, 'main.js');
  const external = options.bundleHls ? [] : ['hls.js'];
  const alias = options.alias ?? {};
  if (bundler === 'esbuild') {
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: [options.entryFile],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      external,
      alias: { ...alias },
      outfile: outFile,
      logLevel: 'error',
    });
  } else if (bundler === 'vite') {
    const vite = await import('vite');
    await vite.build({
      configFile: false,
      root: dirname(options.entryFile),
      logLevel: 'error',
      resolve: { alias: { ...alias } },
      build: {
        outDir,
        emptyOutDir: true,
        modulePreload: false,
        rolldownOptions: { input: options.entryFile, external, output: { entryFileNames: 'main.js', format: 'es' } },
      },
    });
  } else if (bundler === 'webpack') {
    const { default: webpack } = await import('webpack');
    const compiler = webpack({
      mode: 'production',
      context: dirname(options.entryFile),
      entry: options.entryFile,
      output: { path: outDir, filename: 'main.js' },
      externals: options.bundleHls ? {} : { 'hls.js': 'Hls' },
      resolve: { alias: { ...alias } },
      performance: { hints: false },
    });
    const stats = await promisify(compiler.run.bind(compiler))();
    await promisify(compiler.close.bind(compiler))();
    if (stats === undefined || stats.hasErrors())
      throw new Error(`webpack: ${stats?.toString('errors-only') ?? 'no stats'}`);
  } else {
    const { rollup } = await import('rollup');
    const { nodeResolve } = await import('@rollup/plugin-node-resolve');
    const { default: terser } = await import('@rollup/plugin-terser');
    const aliasPlugin: Plugin = { name: 'alias', resolveId: (source) => alias[source] ?? null };
    const bundle = await rollup({
      input: options.entryFile,
      external,
      plugins: [aliasPlugin, nodeResolve({ browser: true }), terser()],
      logLevel: 'silent',
    });
    await bundle.write({ file: outFile, format: 'es' });
    await bundle.close();
  }
  if (!statSync(outFile).isFile()) throw new Error(`${bundler}: no ${outFile}`);
  return outFile;
}
