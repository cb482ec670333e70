// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'test/generated/', 'bench/results/', 'bench/builds/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The layering of STYLE.md: lower layers never reach up into GraphQL or HTTP.
    files: ['src/upstreams/**', 'src/resilience/**', 'src/cache/**', 'src/config/**', 'src/errors/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/schema/**', '**/http/**', 'graphql', 'graphql-yoga', 'fastify'], message: 'Lower layers must not depend on GraphQL or HTTP routing.' },
          ],
        },
      ],
    },
  },
);
