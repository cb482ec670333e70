import type { ServiceEvent } from '../events/index.js';
import { builder } from './builder.js';

export const ServiceEventRef = builder.objectRef<ServiceEvent>('ServiceEvent');

ServiceEventRef.implement({
  description: 'Something that changed about a service, as one gateway replica saw it.',
  fields: (t) => ({
    type: t.exposeString('type', { description: 'breaker | sync | version | cache.' }),
    service: t.exposeString('service', { nullable: true, description: 'The service; null for a whole-cache clear.' }),
    from: t.exposeString('from', {
      nullable: true,
      description: 'The breaker or sync state before (breaker, sync), the version before (version); null when there was none.',
    }),
    to: t.exposeString('to', { nullable: true, description: 'The state or version after.' }),
    at: t.exposeString('at', { description: 'When it happened (ISO-8601 UTC).' }),
    replica: t.exposeString('replica', { description: 'Which gateway process saw it (GATEWAY_REPLICA_ID).' }),
  }),
});

builder.subscriptionField('serviceEvents', (t) =>
  t.field({
    type: ServiceEventRef,
    description:
      'Every breaker transition, sync state change, observed version change and cache clear, as it happens, from every replica (monitoring rule; GraphQL over SSE).',
    authScopes: { monitoring: true },
    subscribe: (_root, _args, ctx) => ctx.services.serviceEvents.subscribe(),
    resolve: (event) => event,
  }),
);
