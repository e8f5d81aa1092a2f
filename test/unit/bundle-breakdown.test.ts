// bench/bundle-breakdown.ts on a real minified bundle with a source map (esbuild, two local
// modules of known, very different sizes and a package under node_modules).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { breakdown } from '../../bench/bundle-breakdown.ts';

describe('bundle breakdown from a source map', () => {
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peercdn-breakdown-'));
    mkdirSync(join(dir, 'lib'));
    mkdirSync(join(dir, 'node_modules', '@scope', 'tiny'), { recursive: true });
    const words = Array.from({ length: 400 }, (_, index) => `word${String(index * 7919)}`).join(' ');
    writeFileSync(join(dir, 'lib', 'big.js'), `export const big = () => ${JSON.stringify(words)}.split(' ');\n`);
    writeFileSync(join(dir, 'lib', 'small.js'), 'export const small = (a, b) => a + b;\n');
    writeFileSync(join(dir, 'node_modules', '@scope', 'tiny', 'package.json'), '{"name":"@scope/tiny","main":"i.js"}');
    writeFileSync(join(dir, 'node_modules', '@scope', 'tiny', 'i.js'), 'export const tiny = (x) => x * 3;\n');
    writeFileSync(
      join(dir, 'entry.js'),
      "import { big } from './lib/big.js'; import { small } from './lib/small.js'; import { tiny } from '@scope/tiny';\n" +
        'console.log(big().length, small(1, 2), tiny(4));\n',
    );
    await esbuild.build({
      entryPoints: [join(dir, 'entry.js')],
      bundle: true,
      minify: true,
      format: 'esm',
      sourcemap: true,
      outfile: join(dir, 'out', 'bundle.mjs'),
      logLevel: 'error',
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every byte to one group, by file and by package, largest first, shares adding up to the gzip size', () => {
    const file = join(dir, 'out', 'bundle.mjs');
    const rows = breakdown(file);
    const code = readFileSync(file, 'utf8');
    const groups = rows.map((row) => row.group);
    assert.equal(
      rows.reduce((sum, row) => sum + row.bytes, 0),
      code.length,
    );
    assert.equal(groups[0], 'lib/big.js');
    assert.ok(groups.includes('lib/small.js'), groups.join(', '));
    assert.ok(groups.includes('@scope/tiny'), groups.join(', '));
    const big = rows[0];
    assert.ok(big !== undefined && big.bytes > 3000, `big.js holds the long string: ${String(big?.bytes)} B`);
    const shares = rows.reduce((sum, row) => sum + row.gzipBytesShare, 0);
    assert.ok(Math.abs(shares - gzipSync(code, { level: 9 }).byteLength) <= rows.length, `shares ${String(shares)}`);
    assert.deepEqual(
      rows.map((row) => row.bytes),
      [...rows.map((row) => row.bytes)].sort((a, b) => b - a),
    );
  });
});
