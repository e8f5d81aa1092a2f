// Where a property name may meet code or data from outside the browser bundles: the surfaces
// test/unit/mangled-properties.test.ts holds every name of mangled-properties.ts against, and
// `npm run size -- --unmangled` (bench/unmangled-names.ts) sorts the bundle's other names by.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../', import.meta.url));

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
    .filter(keep)
    .map((file) => join(dir, file));
}

// Surface files of which only the part from a marker on meets the outside.
const FROM_MARKER: Readonly<Record<string, string>> = {
  'lib/engine/upload-limiter.ts': 'export function onCellularOrSaveData(',
};

// Block comments and whole-line comments (which name properties in backquotes) left out.
const withoutComments = (source: string): string =>
  source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

/**
 * `file`'s text, from its marker on (FROM_MARKER) if it has one, which must be there; lib/'s own
 * sources and the declaration files (hls.js's, TypeScript's) without comments: a word in a doc
 * comment ("ban it", "cancelled with clearNextTick") is no property of anything. (Neither has a
 * string holding a comment mark; the bundled libraries' JavaScript is read whole.)
 */
function textOf(file: string): string {
  const source = readFileSync(join(REPO, file), 'utf8');
  const text = file.startsWith('lib/') || file.endsWith('.d.ts') ? withoutComments(source) : source;
  const marker = FROM_MARKER[file];
  if (marker === undefined) return text;
  const at = text.indexOf(marker);
  if (at === -1) throw new Error(`mangle surfaces: "${marker}" is no longer in ${file}`);
  return text.slice(at);
}

/** Every identifier in `files` (repository paths), or each match's first group of `pattern`. */
export function identifiersOf(files: readonly string[], pattern = /[A-Za-z_$][\w$]*/g): Set<string> {
  const names = new Set<string>();
  for (const file of files)
    for (const match of textOf(file).matchAll(pattern)) {
      const name = match[1] ?? match[2] ?? match[0];
      names.add(name);
    }
  return names;
}

// In code that drives the bundle from outside, what matters is the properties it reads or sets
// (`.name`, `name:`), not its own variables and words.
// (`...name` spreads a variable: not a property.)
const PROPERTY_NAMES = /(?<!\.\.)\.([A-Za-z_$][\w$]*)|([A-Za-z_$][\w$]*)\??:/g;

const NODE_VIEWERS = ['hostile-peer.ts', 'hostile-behaviours.ts', 'node-viewer.ts', 'resume-request.ts'];

/** The files of each surface, by the surface's name. */
export const OUTSIDE: Readonly<Record<string, readonly string[]>> = {
  'the public API': ['lib/index.ts', ...filesUnder('lib/api', (file) => file.endsWith('.ts'))],
  // (all but the names it reads or calls on objects: see WITHOUT_MEMBER_ACCESSES)
  'the public facade': ['lib/peercdn.ts'],
  'the tracker client interface (injectable)': ['lib/swarm/tracker-client.ts'],
  'a wire or file format': ['lib/peer/peer-protocol.ts', ...filesUnder('lib/shared', (file) => file.endsWith('.ts'))],
  // The Network Information API fields onCellularOrSaveData reads are not all in TypeScript's DOM
  // types (the rest of its file, the token bucket, is lib/'s own: see FROM_MARKER).
  'browser objects read without DOM types': ['lib/engine/upload-limiter.ts'],
  'the shims of the bundled libraries': filesUnder('lib/shims', (file) => file.endsWith('.ts')),
  "hls.js's types": ['node_modules/hls.js/dist/hls.d.ts'],
  "TypeScript's DOM and ECMAScript types": filesUnder('node_modules/typescript/lib', (file) =>
    /^lib\.(dom|es|webworker).*\.d\.ts$/.test(file),
  ),
  'the bundled libraries': [
    ...filesUnder('node_modules/@thaunknown/simple-peer', (file) => /^[^/]+\.js$/.test(file)),
    ...filesUnder('node_modules/bittorrent-tracker', (file) => file.endsWith('.js') && !file.includes('node_modules')),
  ],
  // (property names only: see PROPERTY_NAMES)
  'the browser tests and the pages that drive the bundle': [
    ...filesUnder('test/browser', (file) => file.endsWith('.ts') || file.endsWith('.html')),
    // hostile-peer.ts (with its behaviours, hostile-behaviours.ts) and node-viewer.ts are left out:
    // they run lib/ from source in Node (a modified viewer, a Node viewer), never the bundle, and
    // meet the bundle only through the wire protocol; so is resume-request.ts (unit tests' requests).
    ...filesUnder('test/helpers', (file) => file.endsWith('.ts') && !NODE_VIEWERS.includes(file)),
    // The demo's pages and their script (demo/page/, which reaches the bundle as the `PeerCDN`
    // global of dist/peercdn.umd.js); its other files are the Node side (origin, tracker and dev
    // servers, their counters and command lines), which meets the bundle only over HTTP.
    ...filesUnder('demo', (file) => file.endsWith('.html') || (file.startsWith('page/') && file.endsWith('.ts'))),
  ],
};

// The facade (lib/peercdn.ts) is public for what it declares (the class's members, the options and
// types it exports) and the keys of objects it hands out; the names it reads or calls on objects
// (`engine.disableP2P(...)`) are not: on lib/'s own objects they are internal, and an outside
// object's (hls.js's, the DOM's, the user's dependencies) is declared here, in lib/api/ or in
// hls.js's and the DOM's types, all surfaces of their own. Identifiers after a `.` (not `...`) left out.
const WITHOUT_MEMBER_ACCESSES = /(?<![\w$])(?<!(?<!\.)\.)[A-Za-z_$][\w$]*/g;

/** The names `surface` holds (property names only for the pages that drive the bundle). */
export function namesOn(surface: string): Set<string> {
  const pattern = surface.includes('drive the bundle')
    ? PROPERTY_NAMES
    : surface === 'the public facade'
      ? WITHOUT_MEMBER_ACCESSES
      : undefined;
  return identifiersOf(OUTSIDE[surface] ?? [], pattern);
}

/** lib/'s sources (repository paths). */
export const LIB_SOURCES: readonly string[] = filesUnder('lib', (file) => file.endsWith('.ts'));

/** The names lib/ writes as quoted strings (keys read by name), comments left out. */
export function quotedInLib(): Set<string> {
  const quoted = new Set<string>();
  for (const file of LIB_SOURCES)
    for (const match of withoutComments(readFileSync(join(REPO, file), 'utf8')).matchAll(
      /['"`]([A-Za-z_$][\w$]*)['"`]/g,
    ))
      if (match[1] !== undefined) quoted.add(match[1]);
  return quoted;
}
