import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * An operation whose type the schema has no root type for (a `subscription` while there is no
 * Subscription type) is a validation error. graphql-js 16 only finds it at execution, and
 * graphql-jit threw on it ("No root type for operation"), which was masked as
 * INTERNAL_SERVER_ERROR and logged as a bug. graphql-js 17 has this rule as
 * `KnownOperationTypesRule`; this is its check, with its message.
 */
export function KnownOperationTypesRule(context: ValidationContext): ASTVisitor {
  const schema = context.getSchema();
  return {
    OperationDefinition(node) {
      if (!schema.getRootType(node.operation)) {
        context.reportError(new GraphQLError(`The ${node.operation} operation is not supported by the schema.`, { nodes: node }));
      }
    },
  };
}

/** Adds `KnownOperationTypesRule` to every validation (Yoga's path and direct execution). */
export function useKnownOperationTypes(): Plugin<Record<string, unknown>> {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(KnownOperationTypesRule);
    },
  };
}
