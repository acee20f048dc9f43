// ESLint (flat config) with typescript-eslint. `npm test` runs it beside tsc and prettier (run-p), before mocha.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import moduleBoundaries from './scripts/lint/module-boundaries.js';

const NODE_GLOBALS = [
  'process',
  'console',
  'Buffer',
  'URL',
  'URLSearchParams',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'clearImmediate',
  'queueMicrotask',
  'structuredClone',
  'fetch',
  'AbortController',
  'AbortSignal',
  'TextEncoder',
  'TextDecoder',
  'performance',
  'crypto',
];
// The dashboard's own scripts (core/dashboard/public/js) run in the browser.
const BROWSER_GLOBALS = [
  'window',
  'document',
  'navigator',
  'location',
  'history',
  'sessionStorage',
  'localStorage',
  'Node',
  'TextDecoderStream',
  'EventSource',
  'HTMLElement',
  'matchMedia',
  'requestAnimationFrame',
  'getComputedStyle',
  'Intl',
];
const readonly = (names) => Object.fromEntries(names.map((n) => [n, 'readonly']));

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'test/artifacts/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: readonly([...NODE_GLOBALS]) },
    plugins: { tenx: { rules: { 'module-boundaries': moduleBoundaries } } },
    rules: {
      // Node runs the sources with type stripping: a type must be imported as a type.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // A module's index.ts is its only door (docs/architecture.md "Module boundaries").
      'tenx/module-boundaries': 'error',
      // `_name` is the house way to say "deliberately unused" (omitting a field by destructuring).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `any` stays where values cross untyped boundaries (route handlers, plugin manifests, JSON
      // from the API in the CLI); typing them from the route schemas is issue 13 §4's work.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-expressions': ['error', { allowTernary: true }],
      // It flags initialisations that TypeScript's definite-assignment analysis relies on.
      'no-useless-assignment': 'off',
    },
  },
  { files: ['**/*.ts'], rules: { 'no-undef': 'off' } }, // tsc checks names, with the real lib types
  { files: ['core/dashboard/public/**/*.js', 'core/sdk/public/**/*.js'], languageOptions: { globals: readonly(BROWSER_GLOBALS) } },
  // CommonJS by necessity: mocha loads its settings (.mocharc.cjs) with require().
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: readonly(['require', 'module']) },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // chai's property assertions (`expect(x).to.be.empty`) are expressions by design.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-unused-expressions': 'off' } },
);
