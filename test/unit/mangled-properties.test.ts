import assert from 'node:assert/strict';
import { identifiersOf, LIB_SOURCES, namesOn, OUTSIDE, quotedInLib } from '../../bench/mangle-surfaces.ts';
import { MANGLED_PROPERTIES } from '../../mangled-properties.ts';

// The bundles shorten the property names in mangled-properties.ts everywhere in the bundle. That is
// only safe for names that no code outside the bundle reads or writes on our objects and that our
// code never reads on an object from outside: this holds each name against every such surface
// (bench/mangle-surfaces.ts, shared with `npm run size -- --unmangled`).
describe('the property names the bundles shorten (mangled-properties.ts)', () => {
  for (const [surface, files] of Object.entries(OUTSIDE)) {
    it(`none of them is named in ${surface}`, () => {
      assert.ok(files.length > 0, `no files for ${surface}`);
      const outside = namesOn(surface);
      assert.deepEqual(
        MANGLED_PROPERTIES.filter((name) => outside.has(name)),
        [],
      );
    });
  }

  it('none of them is a quoted string in lib/ (a key read by its name)', () => {
    const quoted = quotedInLib();
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
