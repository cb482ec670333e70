import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayConfig } from '../config/index.js';
import { recode, requestError, type ErrorCode } from '../errors/index.js';
import { useCostLimit } from './graphql-cost.js';
import { useResponseSizeLimit } from './use-response-size-limit.js';

/** Headers that mark a request as not "simple" (a browser must preflight it), besides a JSON content type. */
export const CSRF_HEADERS = ['x-graphql-csrf', 'x-requested-with', 'apollo-require-preflight', 'x-graphql-yoga-csrf'];

/**
 * The GraphQL limits of `gateway.md`, all from config: depth, aliases, tokens and directives
 * (graphql-armor, checked at parse/validate time), cost (`graphql-cost.ts`, checked before
 * execution starts), so a refused operation reaches no resolver and no backend; the size of
 * the answer (`use-response-size-limit.ts`); field suggestions hidden in production;
 * introspection off unless enabled; CSRF prevention. Batching is limited by Yoga's own `batching.limit`, and Yoga
 * never runs a mutation over GET.
 */
export function useGraphQLHardening(config: GatewayConfig): Array<Plugin<Record<string, unknown>>> {
  const g = config.graphql;
  // Reported as validation errors (every limit broken is named) instead of thrown at the first one.
  const report = { propagateOnRejection: false, onReject: [(ctx: ValidationContext | null, err: GraphQLError) => ctx?.reportError(err)] };
  const armor = new EnvelopArmor({
    maxDepth: { n: g.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...report },
    maxAliases: { n: g.maxAliases, ...report },
    maxTokens: { n: g.maxTokens },
    maxDirectives: { n: g.maxDirectives, ...report },
    // graphql-armor's cost does not multiply by list sizes: useCostLimit below replaces it.
    costLimit: { enabled: false },
    // "Did you mean …?" lets a client map a hidden schema field by field.
    blockFieldSuggestion: { enabled: config.profile === 'production' },
  });
  const plugins: Array<Plugin<Record<string, unknown>>> = [
    useCodedCsrfPrevention(),
    useStrictGetParameters(),
    ...(armor.protect().plugins as Array<Plugin<Record<string, unknown>>>),
  ];
  if (!g.introspection) plugins.push(useNoIntrospection());
  plugins.push(useCodedLimitErrors(), useCostLimit(g.maxCost), useResponseSizeLimit(g.maxResponseBytes));
  return plugins;
}

/**
 * Refuses introspection in validation, for every request. `@graphql-yoga/plugin-disable-introspection`
 * decides per request in Yoga's `onRequestParse` hook, which the direct execution path
 * (`graphql/direct-execution.ts`) does not run, so it let introspection through there; graphql-js's
 * own rule added in `onValidate` holds on both paths.
 */
function useNoIntrospection(): Plugin<Record<string, unknown>> {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/**
 * Yoga's CSRF prevention (requests with a non-JSON "simple" content type, or none, must carry
 * one of `CSRF_HEADERS`), answering with a coded 403 instead of the plugin's uncoded error.
 */
function useCodedCsrfPrevention(): Plugin<Record<string, unknown>> {
  const csrf = useCSRFPrevention({ requestHeaders: CSRF_HEADERS });
  return {
    onRequestParse(payload) {
      try {
        return csrf.onRequestParse?.(payload);
      } catch {
        throw requestError('FORBIDDEN', {
          message:
            'This request could be a cross-site request forgery: send it with content-type: application/json, or with an x-graphql-csrf header.',
        });
      }
    },
  };
}

/**
 * Yoga parses the `variables` and `extensions` of a GET with a bare `JSON.parse`, so bad JSON
 * there surfaces as an unexpected error (masked, logged as a bug). Hand-written because no
 * plugin covers it: bad JSON is the client's mistake, refused here as a coded 400.
 */
function useStrictGetParameters(): Plugin<Record<string, unknown>> {
  return {
    onRequestParse({ request }) {
      if (request.method !== 'GET') return;
      const params = new URL(request.url).searchParams;
      for (const name of ['variables', 'extensions']) {
        const value = params.get(name);
        if (value === null || value === '') continue;
        try {
          JSON.parse(value);
        } catch {
          throw requestError('BAD_REQUEST', { message: `The "${name}" parameter is not valid JSON.` });
        }
      }
    },
  };
}

/**
 * graphql-armor's refusals are plain GraphQL syntax/validation errors; this gives every
 * parse and validation error a code (`GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`, as
 * Apollo and Hive name them) so a client can tell a refused query from a failed one.
 */
function useCodedLimitErrors(): Plugin<Record<string, unknown>> {
  const coded = (err: GraphQLError, code: ErrorCode): GraphQLError =>
    err.extensions.code
      ? err
      : recode(err, code, {
          message: code === 'GRAPHQL_VALIDATION_FAILED' ? err.message.replace(/^Syntax Error: /, '') : err.message,
          keepCause: true,
        });
  return {
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLError) replaceParseResult(coded(result, 'GRAPHQL_PARSE_FAILED'));
      };
    },
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length > 0) setResult(result.map((e) => coded(e, 'GRAPHQL_VALIDATION_FAILED')));
      };
    },
  };
}
