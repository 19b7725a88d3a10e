// One gate (`npm run check`): typecheck, this lint, the dead-code check (knip.jsonc), then the tests.
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'data/', 'node_modules/', 'test-results/', 'coverage/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  // TypeScript checks names in .ts files; the few plain JS files (CLI launcher, this file) run on Node.
  { files: ['**/*.{js,mjs}'], ignores: ['src/client/**'], languageOptions: { globals: globals.node } },
  // The browser's own scripts (src/client/), inlined into pages as classic scripts (src/plugins/views.ts).
  // An optional enhancement may swallow its own failure: the page works without it.
  {
    files: ['src/client/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
    rules: { 'no-empty': ['error', { allowEmptyCatch: true }] },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // Routes translate HTTP and call use-cases (src/services/) for writes and read models (src/queries/) for reads:
  // never storage or a delivery channel directly (docs/architecture.md, "Reads: the query layer").
  {
    files: ['src/routes/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/storage/**'],
              message: 'Routes read through src/queries/ and write through src/services/, not storage.',
            },
            {
              group: ['**/channels/**'],
              message: 'Routes do not use delivery channels; the app passes in what they need (e.g. generateWebhookSecret).',
            },
          ],
        },
      ],
    },
  },
  // Tests read JSON answers as light-my-request types them (`any`), and say so.
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
