import { createHash } from 'node:crypto';
import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the tests, generated from the checked-in schema (`npm run codegen`), and
 * their persisted-operations manifest `test/generated/persisted-documents.json`
 * (`{"<sha256 hex>": "<document>"}`, what `GRAPHQL_PERSISTED_OPERATIONS` reads); each generated
 * document carries its hash in `__meta__.hash`.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/documents/**/*.graphql'],
  // ESM with NodeNext resolution: generated imports must end in .js.
  emitLegacyCommonJSImports: false,
  generates: {
    'test/generated/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        // Plain hex: the preset's own 'sha256' prefixes "sha256:", which is not the APQ hash.
        persistedDocuments: { hashAlgorithm: (document: string) => createHash('sha256').update(document).digest('hex') },
      },
      config: { useTypeImports: true, enumsAsTypes: true, emitLegacyCommonJSImports: false },
    },
  },
};

export default config;
