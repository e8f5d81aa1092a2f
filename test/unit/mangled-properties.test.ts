import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANGLED_PROPERTIES } from '../../mangled-properties.ts';

// The bundles shorten the property names in mangled-properties.ts everywhere in the bundle. That is
// only safe for names that no code outside the bundle reads or writes on our objects and that our
// code never reads on an object from outside: this holds each name against every such surface.
const REPO = fileURLToPath(new URL('../../', import.meta.url));

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
    .filter(keep)
    .map((file) => join(dir, file));
}

function identifiersOf(files: readonly string[], pattern = /[A-Za-z_$][\w$]*/g): Set<string> {
  const names = new Set<string>();
  for (const file of files)
    for (const match of readFileSync(join(REPO, file), 'utf8').matchAll(pattern)) {
      const name = match[1] ?? match[2] ?? match[0];
      names.add(name);
    }
  return names;
}

// In code that drives the bundle from outside, what matters is the properties it reads or sets
// (`.name`, `name:`), not its own variables and words.
const PROPERTY_NAMES = /\.([A-Za-z_$][\w$]*)|([A-Za-z_$][\w$]*)\??:/g;

// Where a name may meet code or data from outside the bundle.
const OUTSIDE = {
  'the public API': ['lib/index.ts', 'lib/peercdn.ts', ...filesUnder('lib/api', (file) => file.endsWith('.ts'))],
  'the tracker client interface (injectable)': ['lib/swarm/tracker-client.ts'],
  'a wire or file format': ['lib/peer/peer-protocol.ts', ...filesUnder('lib/shared', (file) => file.endsWith('.ts'))],
  // The Network Information API fields it reads are not all in TypeScript's DOM types.
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
    // hostile-peer.ts is left out: it runs lib/'s own Swarm from source in Node (a modified viewer),
    // never the bundle, and meets the bundle only through the wire protocol.
    ...filesUnder('test/helpers', (file) => file.endsWith('.ts') && file !== 'hostile-peer.ts'),
    ...filesUnder('demo', (file) => /\.(ts|html|js)$/.test(file)),
  ],
};

// Block comments and whole-line comments (which name properties in backquotes) left out.
const withoutComments = (source: string): string =>
  source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

const LIB_SOURCES = filesUnder('lib', (file) => file.endsWith('.ts'));

describe('the property names the bundles shorten (mangled-properties.ts)', () => {
  for (const [surface, files] of Object.entries(OUTSIDE)) {
    it(`none of them is named in ${surface}`, () => {
      assert.ok(files.length > 0, `no files for ${surface}`);
      const outside = identifiersOf(files, surface.includes('drive the bundle') ? PROPERTY_NAMES : undefined);
      assert.deepEqual(
        MANGLED_PROPERTIES.filter((name) => outside.has(name)),
        [],
      );
    });
  }

  it('none of them is a quoted string in lib/ (a key read by its name)', () => {
    const quoted = new Set<string>();
    for (const file of LIB_SOURCES)
      for (const match of withoutComments(readFileSync(join(REPO, file), 'utf8')).matchAll(
        /['"`]([A-Za-z_$][\w$]*)['"`]/g,
      ))
        if (match[1] !== undefined) quoted.add(match[1]);
    assert.deepEqual(
      MANGLED_PROPERTIES.filter((name) => quoted.has(name)),
      [],
    );
  });

  it('each of them is still a property name in lib/ (the list does not rot)', () => {
    const used = identifiersOf(LIB_SOURCES);
    assert.deepEqual(
      MANGLED_PROPERTIES.filter((name) => !used.has(name)),
      [],
    );
    assert.equal(new Set(MANGLED_PROPERTIES).size, MANGLED_PROPERTIES.length, 'no name twice');
  });
});
