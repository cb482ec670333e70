import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { canAdminister, canReadMonitoring } from '../auth/index.js';
import type { RequestContext } from '../context/index.js';
import { GatewayError } from '../errors/index.js';

/**
 * Sets up the builder only (Pothos app layout): the typed context, the auth scopes of
 * `gateway.md`, and the refusal each failed scope turns into. No types are defined here.
 */
export const builder = new SchemaBuilder<{
  Context: RequestContext;
  AuthScopes: {
    authenticated: boolean;
    admin: boolean;
    monitoring: boolean;
  };
  DefaultFieldNullability: false;
}>({
  // Federation after scope-auth (it must see the wrapped resolvers); it needs the directives
  // plugin to put @key into the subgraph SDL. Neither changes what toSchema() prints.
  plugins: [ScopeAuthPlugin, DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // A subscription is authorized once, when it starts (its refusal is the stream's one answer), not per event.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      authenticated: ctx.principal !== null,
      admin: canAdminister(ctx.principal),
      monitoring: canReadMonitoring(ctx.principal, ctx.services.config.monitoringPublic),
    }),
    unauthorizedError: (_parent, ctx) =>
      ctx.principal
        ? new GatewayError('FORBIDDEN', { message: 'You are not allowed to do this.' })
        : new GatewayError('UNAUTHENTICATED', { message: 'Authentication is required: send Authorization: Bearer <token> or x-api-key.' }),
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
