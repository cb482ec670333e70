import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents for the tests, generated from the checked-in schema (`npm run codegen`). */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/documents/**/*.graphql'],
  // ESM with NodeNext resolution: generated imports must end in .js.
  emitLegacyCommonJSImports: false,
  generates: {
    'test/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, enumsAsTypes: true, emitLegacyCommonJSImports: false },
    },
  },
};

export default config;
