// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * The layers of src/, lowest first: a folder imports only from its own layer or lower ones
 * (`npm run lint` fails on an import that runs back up). Folders on one line do not import
 * each other in a circle.
 */
const LAYERS = [
  ['config', 'errors', 'version'],
  ['resilience', 'cache'],
  ['upstreams'],
  // observability watches what is below it (breakers, caches, upstream calls); events is the cluster bus.
  ['observability', 'auth', 'events'],
  ['sync', 'security'],
  // The per-request context and the services every request may use.
  ['context'],
  ['orchestration', 'admin'],
  ['schema'],
  ['graphql'],
  ['http', 'cli'],
  ['app', 'main'],
];

/**
 * Named exceptions, each a leaf that imports nothing of the project: the list-size vocabulary
 * schema fields declare and the cost limit (security/graphql-cost.ts) reads.
 */
const LEAVES = ['schema/cost\\.js'];

/** Packages the lowest layers never use: they know nothing of GraphQL serving or HTTP routing. */
const NO_SERVING = {
  group: ['graphql-yoga', 'fastify', '@fastify/*'],
  message: 'Lower layers must not depend on GraphQL serving or HTTP routing.',
};
const NO_GRAPHQL = { group: ['graphql', 'graphql/*'], message: 'Data, resilience and cache code knows nothing of GraphQL.' };

/** The operation is found once per document: `operationOf` in the one file that may ask graphql-js. */
const OPERATION_AST = 'src/security/executed-root-fields.ts';
const NO_GET_OPERATION_AST = {
  group: ['graphql'],
  importNames: ['getOperationAST'],
  message: 'Use operationOf (security/executed-root-fields.ts): it finds the operation once per document.',
};

/**
 * One `no-restricted-imports` entry per folder and depth, naming every folder above it
 * (relative imports are written from the file's own depth, so `../` from src/x/ and
 * `../../` from src/x/y/ both reach src/).
 */
function layerRules() {
  const rankOf = new Map(LAYERS.flatMap((names, rank) => names.map((name) => [name, rank])));
  const configs = [{ files: ['src/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_GET_OPERATION_AST] }] } }];
  for (const [folder, rank] of rankOf) {
    if (folder === 'app' || folder === 'main' || folder === 'version') continue;
    const above = [...rankOf].filter(([, r]) => r > rank).map(([name]) => name);
    const packages =
      rank <= rankOf.get('upstreams') ? [NO_SERVING, ...(folder === 'errors' || folder === 'config' ? [] : [NO_GRAPHQL])] : [];
    for (const depth of [1, 2]) {
      const files = `src/${folder}/${'*/'.repeat(depth - 1)}*.ts`;
      const layer = {
        regex: `^${'\\.\\./'.repeat(depth)}(?!(${LEAVES.join('|')})$)(${above.join('|')})(/|\\.js$)`,
        message: `src/${folder}/ is below ${above.join(', ')}: it must not import from them (layers in eslint.config.js).`,
      };
      const rule = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
      configs.push({ files: [files], ignores: [OPERATION_AST], rules: rule([layer, ...packages, NO_GET_OPERATION_AST]) });
      if (OPERATION_AST.startsWith(`src/${folder}/`) && depth === 1)
        configs.push({ files: [OPERATION_AST], rules: rule([layer, ...packages]) });
    }
  }
  return configs;
}

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
  ...layerRules(),
);
