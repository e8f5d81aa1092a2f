import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ARCHITECTURE.md has one line per source file (`- \`path\` — job · imports`); this keeps the
// list and the tree the same: every source file listed, no entry for a file that is gone.
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE_DIRS = ['lib', 'tracker', 'demo', 'bench', 'test', 'types'];
const SOURCE_FILE = /\.(ts|mts|mjs|js|html)$/;
// Build output, dependencies and generated results are not sources.
const NOT_SOURCES = new Set(['node_modules', 'dist', 'results']);

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(REPO, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!NOT_SOURCES.has(entry.name)) walk(path);
      } else if (SOURCE_FILE.test(entry.name)) {
        files.push(path);
      }
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  for (const entry of readdirSync(REPO)) if (/\.(ts|mts|mjs)$/.test(entry)) files.push(entry);
  return files.sort();
}

/** The paths at the head of each list line: "- `a`, `b` — ..." gives a and b. */
function listedEntries(markdown: string): string[] {
  const entries: string[] = [];
  for (const line of markdown.split('\n')) {
    const head = /^- ((?:`[^`]+`(?:, )?)+)/.exec(line);
    if (head?.[1] === undefined) continue;
    for (const match of head[1].matchAll(/`([^`]+)`/g)) if (match[1] !== undefined) entries.push(match[1]);
  }
  return entries;
}

// `*` stands for any characters within one path segment.
const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*')}$`,
  );

describe('ARCHITECTURE.md file list', () => {
  const entries = listedEntries(readFileSync(join(REPO, 'ARCHITECTURE.md'), 'utf8'));
  const files = sourceFiles();
  const patterns = entries.map((entry) => ({ entry, pattern: globToRegExp(entry) }));

  it('finds the list and the sources (the parser reads what is there)', () => {
    assert.ok(entries.length > 50, `only ${entries.length} entries parsed`);
    assert.ok(files.includes('lib/index.ts'));
    assert.ok(entries.includes('lib/index.ts'));
  });

  it('lists every source file', () => {
    const unlisted = files.filter((file) => !patterns.some(({ pattern }) => pattern.test(file)));
    assert.deepEqual(unlisted, [], `add a line to ARCHITECTURE.md for: ${unlisted.join(', ')}`);
  });

  it('lists no file that is not in the tree', () => {
    const stale = entries.filter((entry) =>
      entry.includes('*') ? !files.some((file) => globToRegExp(entry).test(file)) : !existsSync(join(REPO, entry)),
    );
    assert.deepEqual(stale, [], `remove or fix in ARCHITECTURE.md: ${stale.join(', ')}`);
  });

  it('lists each file once', () => {
    const seen = new Set<string>();
    const twice = entries.filter((entry) => (seen.has(entry) ? true : (seen.add(entry), false)));
    assert.deepEqual(twice, []);
  });
});
