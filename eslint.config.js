// `npm run lint`: typescript-eslint's type-checked strict rules over every part, each part typed in
// its own environment (the same tsconfig files `npm run typecheck` uses), plus the layer rules of
// ARCHITECTURE.md (eslint-plugin-boundaries) so the imports between lib/ folders cannot drift.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { boundaryRules } from './eslint.boundaries.js';

const TYPED_PARTS = [
  { files: ['lib/**/*.ts'], project: './tsconfig.lib.json' },
  { files: ['tracker/**/*.ts'], project: './tsconfig.tracker.json' },
  {
    files: [
      'test/**/*.ts',
      'bench/**/*.ts',
      'demo/**/*.ts',
      'types/**/*.ts',
      'rollup.config.ts',
      'mangled-properties.ts',
    ],
    project: './tsconfig.json',
  },
];

export default tseslint.config(
  { ignores: ['**/node_modules/', '**/dist/', 'docs/api/', '.tmp/', 'test-output/', 'bench/results/', 'fixtures/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Numbers in messages and URLs are the norm here, and `${n}` is exactly String(n); every
      // other type (undefined, null, objects) still has to be converted on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `() => resolve()` / `(x) => list.push(x)` callbacks are idiomatic; a void value used
      // anywhere else (returned, assigned, in a condition) is still an error.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // With noUncheckedIndexedAccess, `list[i]!` on an index taken from the same list is the honest
      // idiom (the alternative, `as T` or a guard that cannot fail, hides the same claim).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // A leading underscore marks a name that is unused on purpose (a required parameter, a rest split).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests re-check at run time what the types promise: that is their job.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  ...TYPED_PARTS.map(({ files, project }) => ({
    files,
    languageOptions: { parserOptions: { project, tsconfigRootDir: import.meta.dirname } },
  })),
  {
    // Plain JavaScript (test runner scripts, the consumer example, this file): Node scripts, no types.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  { files: ['bench/consumer-entry.js'], languageOptions: { globals: { ...globals.browser } } },
  ...boundaryRules,
);
