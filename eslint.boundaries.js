// The import rules of ARCHITECTURE.md's layer table, checked by `npm run lint`: each folder of lib/
// is an element, and a layer imports only the layers below it. Imports are resolved to files, so
// `../../lib/swarm/x.ts` from anywhere counts as the swarm layer however it is spelt.
import { builtinModules } from 'node:module';
import boundaries from 'eslint-plugin-boundaries';

/** Element types by folder (first match wins), from the top of the library down. */
const ELEMENTS = [
  { type: 'hls', pattern: 'lib/hls/**', partialMatch: false },
  { type: 'engine', pattern: 'lib/engine/**', partialMatch: false },
  { type: 'swarm', pattern: 'lib/swarm/**', partialMatch: false },
  { type: 'peer', pattern: 'lib/peer/**', partialMatch: false },
  { type: 'policy', pattern: 'lib/policy/**', partialMatch: false },
  { type: 'api', pattern: 'lib/api/**', partialMatch: false },
  { type: 'shared', pattern: 'lib/shared/**', partialMatch: false },
  { type: 'shims', pattern: 'lib/shims/**', partialMatch: false },
  // The files directly in lib/: index.ts, script-tag.ts and peercdn.ts (the folders above matched first).
  { type: 'entry', pattern: 'lib', partialMatch: false },
  { type: 'tracker', pattern: 'tracker/**', partialMatch: false },
  { type: 'tooling', pattern: ['demo/**', 'bench/**', 'test/**', 'types/**'], partialMatch: false },
];

/** Which element types each element type may import (ARCHITECTURE.md, "The folders are the layers"). */
const MAY_IMPORT = {
  entry: ['entry', 'hls', 'engine', 'swarm', 'peer', 'policy', 'api', 'shared'],
  hls: ['hls', 'engine', 'swarm', 'peer', 'policy', 'api', 'shared'],
  engine: ['engine', 'swarm', 'peer', 'policy', 'api', 'shared'],
  swarm: ['swarm', 'peer', 'policy', 'api', 'shared'],
  peer: ['peer', 'policy', 'api'],
  policy: ['policy', 'shared'],
  api: ['api'],
  shared: ['shared'],
  shims: ['shims'],
  tracker: ['tracker', 'shared'],
  tooling: ['entry', 'hls', 'engine', 'swarm', 'peer', 'policy', 'api', 'shared', 'shims', 'tracker', 'tooling'],
};

/** Packages a part of lib/ may import; everything else (Node built-ins included) is refused. */
const LIBRARY_PACKAGES = {
  entry: ['hls.js'],
  hls: ['hls.js'],
  swarm: ['bittorrent-tracker'], // its browser client only (lib/swarm/bittorrent-tracker-client.ts)
  shims: [],
};

const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

export const boundaryRules = [
  {
    files: ['{lib,tracker,demo,bench,test,types}/**/*.{ts,js,mjs}'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': ELEMENTS,
      'boundaries/include': ['lib/**', 'tracker/**', 'demo/**', 'bench/**', 'test/**', 'types/**'],
      'import/resolver': { node: { extensions: ['.ts', '.js', '.mjs'] } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          checkAllOrigins: true,
          checkUnknownLocals: true,
          policies: [
            ...Object.entries(MAY_IMPORT).map(([from, allowed]) => ({
              from: { element: { type: from } },
              allow: { to: { element: { type: allowed } } },
            })),
            // Packages: the tracker and the tooling use what they list in package.json.
            {
              from: { element: { type: ['tracker', 'tooling'] } },
              allow: { to: { module: { origin: ['external', 'core'] } } },
            },
            ...Object.entries(LIBRARY_PACKAGES).map(([from, packages]) => ({
              from: { element: { type: from } },
              allow: { to: { module: { origin: 'external', source: packages } } },
            })),
          ],
        },
      ],
    },
  },
  {
    // lib/ runs in browsers: no Node built-ins, whatever the layer.
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: NODE_BUILTINS.map((name) => ({ name, message: 'lib/ runs in browsers: no Node built-ins.' })) },
      ],
    },
  },
];
