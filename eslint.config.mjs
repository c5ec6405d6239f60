import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      '.temporal/',
      '.data/',
      'src/ops-api/generated/',
      'src/desired-state/generated/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The bench's wait designs are workflow code too.
    files: ['src/workflows/**/*.ts', 'bench/wait-designs/workflows.ts', 'bench/wait-designs/shared.ts'],
    rules: {
      // Workflow code must stay deterministic: no Node APIs, no direct activity imports.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'os', 'child_process'],
              message: 'Workflows must not use Node APIs.',
            },
            {
              group: ['../activities/*', '../activities'],
              importNamePattern: '^(?!type)',
              allowTypeImports: true,
              message: 'Import only types from activities.',
            },
          ],
        },
      ],
    },
  },
  {
    // The portal's browser script (no build step, so plain ES5-style JavaScript with the browser's globals).
    files: ['src/portal/assets/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        document: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        DOMParser: 'readonly',
        FileReader: 'readonly',
      },
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
