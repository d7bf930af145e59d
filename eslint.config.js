import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Type-aware rules run on the shipped code (src, functions, cli): that is where a floating promise or an unsafe `any`
// reaches production. Tests, the simulator, benchmarks and infra keep the syntactic rules so that `npm run lint`
// stays fast inside `npm test`.
const productCode = ['src/**/*.ts', 'functions/**/*.ts', 'cli/**/*.ts'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'dist/**', 'coverage/**', '.sim-data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        structuredClone: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  ...tseslint.configs.recommendedTypeCheckedOnly.map((config) => ({ ...config, files: productCode })),
  {
    files: productCode,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Small functions: a function that does not fit on a screen does more than one thing.
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // The CLI, simulator, demo, benchmarks and tests talk to a terminal on purpose.
    files: ['cli/**', 'local/**', 'bench/**', 'test/**', 'bin/**', 'infra/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
