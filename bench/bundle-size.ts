// `npm run size`: gzip sizes of the browser bundles and of a player's production build with each
// supported bundler, checked against bench/size-budget.json (size-limit style: over budget fails).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { breakdown } from './bundle-breakdown.ts';
import { BUNDLERS, buildConsumer } from './consumer-builds.ts';
import { unmangledNames } from './unmangled-names.ts';

const HELP = `Usage: npm run size [-- --json] [-- --breakdown] [-- --unmangled]

Prints the size (bytes on disk and gzip -9) of each browser bundle in dist/ and of
bench/consumer-entry.js (the README's npm example) built for production by esbuild, Vite,
webpack 5 and rollup with hls.js left out, and fails (exit 1) when one exceeds its budget
in bench/size-budget.json. Run \`npm run build\` first. --breakdown also prints where the bytes of
dist/peercdn.mjs come from (by lib/ file and bundled package, from its source map). --unmangled
also lists lib/'s property names the bundles leave whole and what keeps each out of
mangled-properties.ts ("free": nothing does).`;

const REPO = fileURLToPath(new URL('../', import.meta.url));
const DIST_FILES = ['dist/peercdn.umd.js', 'dist/peercdn.full.umd.js', 'dist/peercdn.mjs'];

interface Measured {
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly maxGzipBytes: number | null;
  readonly withinBudget: boolean;
}

type Budget = Record<string, { maxGzipBytes: number }>;

function measure(name: string, file: string, budget: Budget): Measured {
  const data = readFileSync(file);
  const gzipBytes = gzipSync(data, { level: 9 }).byteLength;
  const maxGzipBytes = budget[name]?.maxGzipBytes ?? null;
  return {
    name,
    bytes: data.byteLength,
    gzipBytes,
    maxGzipBytes,
    withinBudget: maxGzipBytes === null || gzipBytes <= maxGzipBytes,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      breakdown: { type: 'boolean', default: false },
      unmangled: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const budget = JSON.parse(readFileSync(`${REPO}bench/size-budget.json`, 'utf8')) as Budget;
  const sizes = DIST_FILES.map((file) => measure(file, `${REPO}${file}`, budget));
  const outDir = mkdtempSync(join(tmpdir(), 'peercdn-size-'));
  try {
    for (const bundler of BUNDLERS) {
      const file = await buildConsumer(bundler, {
        entryFile: `${REPO}bench/consumer-entry.js`,
        outDir,
        bundleHls: false,
        alias: { peercdn: `${REPO}dist/peercdn.mjs` },
      });
      sizes.push(measure(`${bundler} build of the README example`, file, budget));
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  if (values.json) {
    console.log(JSON.stringify(sizes, null, 2));
  } else {
    for (const size of sizes) {
      const limit =
        size.maxGzipBytes === null
          ? ''
          : ` (budget ${(size.maxGzipBytes / 1024).toFixed(1)} KiB: ${size.withinBudget ? 'ok' : 'OVER'})`;
      console.log(
        `${size.name}: ${(size.bytes / 1024).toFixed(1)} KiB, gzip ${(size.gzipBytes / 1024).toFixed(2)} KiB${limit}`,
      );
    }
  }
  if (values.breakdown) {
    console.log('\ndist/peercdn.mjs by source: minified bytes, gzip alone, share of the gzip size');
    for (const row of breakdown(`${REPO}dist/peercdn.mjs`))
      console.log(
        `${String(row.bytes).padStart(7)} ${String(row.gzipBytesAlone).padStart(6)} ${String(row.gzipBytesShare).padStart(6)}  ${row.group}`,
      );
  }
  if (values.unmangled) {
    console.log('\nlib/ property names left whole in the bundles: times written, name, what keeps it whole');
    for (const row of unmangledNames(DIST_FILES.map((file) => `${REPO}${file}`)))
      console.log(`${String(row.occurrences).padStart(5)}  ${row.name}: ${row.blockedBy.join('; ') || 'free'}`);
  }
  if (sizes.some((size) => !size.withinBudget)) process.exitCode = 1;
}

await main();
