import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';
import type { Plugin, RollupOptions } from 'rollup';
import { dts } from 'rollup-plugin-dts';
import esbuild from 'rollup-plugin-esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const packageJson = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};
const dependencies = [
  ...Object.keys(packageJson.dependencies),
  ...Object.keys(packageJson.peerDependencies),
];
// A dependency and its subpaths (e.g. `bittorrent-tracker/client`) stay imports in npm builds.
const isDependency = (id: string): boolean =>
  id.startsWith('node:') || dependencies.some((name) => id === name || id.startsWith(`${name}/`));

// node-resolve skips a package's `"browser": {"./file.js": false}` entries when the package
// also has an `exports` map (bittorrent-tracker does): honour them here, or Node-only trackers
// (HTTP/UDP, socks) end up in the browser bundle.
function browserFalseMappings(): Plugin {
  const EMPTY = '\0browser-empty';
  const packageRootOf = (file: string): string | null => {
    for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
      if (existsSync(join(dir, 'package.json'))) return dir;
    }
    return null;
  };
  return {
    name: 'browser-false-mappings',
    resolveId(source, importer) {
      if (importer === undefined || !importer.includes('node_modules') || !source.startsWith('.')) return null;
      const root = packageRootOf(importer);
      if (root === null) return null;
      const browser = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { browser?: unknown }).browser;
      if (typeof browser !== 'object' || browser === null) return null;
      const key = `./${relative(root, join(dirname(importer), source))}`;
      return (browser as Record<string, unknown>)[key] === false ? EMPTY : null;
    },
    load(id) {
      return id === EMPTY ? 'export default {};' : null;
    },
  };
}

// The script-tag bundle drops the `debug` package (bittorrent-tracker's and simple-peer's
// logging, off unless enabled) for a no-op: about 2 KB gzip of a 30 KB budget. npm users keep it.
function silentDebug(): Plugin {
  const ID = '\0silent-debug';
  return {
    name: 'silent-debug',
    resolveId: (source) => (source === 'debug' ? ID : null),
    load: (id) =>
      id === ID
        ? 'const noop = () => {}; const debug = () => Object.assign(noop, { enabled: false, extend: debug }); export default debug;'
        : null,
  };
}

const config: RollupOptions[] = [
  // ESM for `npm install` users: their bundler resolves our dependencies.
  {
    input: 'lib/index.ts',
    external: isDependency,
    plugins: [esbuild({ target: 'es2022' })],
    output: { file: 'dist/peercdn.mjs', format: 'es', sourcemap: true },
  },
  // One file for a plain <script> tag after hls.js's: everything but hls.js, global `PeerCDN`.
  {
    input: 'lib/index.ts',
    plugins: [
      replace({
        preventAssignment: true,
        values: { 'process.browser': 'true', 'process.env.NODE_ENV': '"production"' },
      }),
      browserFalseMappings(),
      silentDebug(),
      nodeResolve({ browser: true, preferBuiltins: false }),
      commonjs(),
      // ES2022 keeps class fields and #private members native (es2020 turned each into a WeakMap
      // and helper calls: 1.8 KiB gzip). The library already needs Object.hasOwn (ES2022).
      esbuild({ target: 'es2022', minify: true, legalComments: 'none' }),
      // A second, slower minifier over the whole file: about 2 KiB gzip less than esbuild alone,
      // which matters against the script-tag budget (bench/size-budget.json).
      terser({ ecma: 2020, compress: { passes: 3, pure_getters: true }, format: { comments: false } }),
    ],
    output: { file: 'dist/peercdn.umd.js', format: 'umd', name: 'PeerCDN', exports: 'named', sourcemap: true },
  },
  // The tracker service for `npx peercdn-tracker`: Node ESM, dependencies stay imports.
  {
    input: 'tracker/cli.ts',
    external: isDependency,
    plugins: [esbuild({ target: 'node20' })],
    // tracker/cli.ts starts with its own #! line, which Rollup keeps.
    output: { file: 'dist/tracker/cli.js', format: 'es' },
  },
  // The `peercdn` command (hash manifests, packaging) for `npx peercdn`: Node ESM, no runtime dependencies.
  {
    input: 'tracker/packaging/cli.ts',
    external: isDependency,
    plugins: [esbuild({ target: 'node20' })],
    // tracker/packaging/cli.ts starts with its own #! line, which Rollup keeps.
    output: { file: 'dist/cli/peercdn.js', format: 'es' },
  },
  // One bundled declaration file.
  {
    input: 'lib/index.ts',
    plugins: [dts()],
    output: { file: 'dist/peercdn.d.ts', format: 'es' },
  },
];

export default config;
