// `npm run size`: minified and gzip sizes of the browser bundles, checked against bench/size-budget.json.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const HELP = `Usage: npm run size [-- --json]

Prints the size of each browser bundle in dist/ (bytes on disk and gzip -9) and fails
(exit 1) when one exceeds its budget in bench/size-budget.json. Run \`npm run build\` first.`;

const REPO = fileURLToPath(new URL('../', import.meta.url));
const BUNDLES = ['dist/peercdn.umd.js', 'dist/peercdn.mjs'];

interface BundleSize {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly maxGzipBytes: number | null;
  readonly withinBudget: boolean;
}

function measure(file: string, budget: Record<string, { maxGzipBytes: number }>): BundleSize {
  const data = readFileSync(`${REPO}${file}`);
  const gzipBytes = gzipSync(data, { level: 9 }).byteLength;
  const maxGzipBytes = budget[file]?.maxGzipBytes ?? null;
  return { file, bytes: data.byteLength, gzipBytes, maxGzipBytes, withinBudget: maxGzipBytes === null || gzipBytes <= maxGzipBytes };
}

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
if (values.help) {
  console.log(HELP);
} else {
  const budget = JSON.parse(readFileSync(`${REPO}bench/size-budget.json`, 'utf8')) as Record<string, { maxGzipBytes: number }>;
  const sizes = BUNDLES.map((file) => measure(file, budget));
  if (values.json) {
    console.log(JSON.stringify(sizes, null, 2));
  } else {
    for (const size of sizes) {
      const limit = size.maxGzipBytes === null ? '' : ` (budget ${(size.maxGzipBytes / 1024).toFixed(1)} KiB: ${size.withinBudget ? 'ok' : 'OVER'})`;
      console.log(`${size.file}: ${(size.bytes / 1024).toFixed(1)} KiB, gzip ${(size.gzipBytes / 1024).toFixed(1)} KiB${limit}`);
    }
  }
  if (sizes.some((size) => !size.withinBudget)) process.exitCode = 1;
}
