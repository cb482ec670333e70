import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed } from '../../reference-backends/index.js';
import { startStack, type Stack } from '../support/stack.js';

/*
 * "Federation subgraph" (gateway.md): with GRAPHQL_FEDERATION=true the gateway is an Apollo
 * Federation v2 subgraph. Proved end to end: the checked-in subgraph SDL is composed with a
 * second subgraph by a real composition library, and a real federation gateway (Hive Gateway's
 * runtime, in-process) runs the supergraph over HTTP against this gateway and the reference
 * backends. The backends' own request log is the oracle for batching; their seed data for answers.
 */

const ROUTER_KEY = 'router-key-0123456789abcdef';
const subgraphSdl = readFileSync(new URL('../../schema/subgraph.graphql', import.meta.url), 'utf8');

const ENTITIES = /* GraphQL */ `
  query ($reps: [_Any!]!) {
    _entities(representations: $reps) {
      __typename
      ... on User {
        id
        name
        email
      }
      ... on Industry {
        id
        name
        sector
      }
    }
  }
`;

const apiKey = { headers: { 'x-api-key': ROUTER_KEY } };
const codes = (body: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => (body.errors ?? []).map((e) => e.extensions?.code);

describe('GRAPHQL_FEDERATION=true: the gateway as a subgraph', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ env: { GRAPHQL_FEDERATION: 'true', GATEWAY_API_KEYS: `router:${ROUTER_KEY}`, GRAPHQL_MAX_IDS: '60' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('_service { sdl } needs a principal, and is schema/subgraph.graphql', async () => {
    const anon = await stack.graphql('{ _service { sdl } }');
    expect(anon.body.data ?? null).toBeNull();
    expect(codes(anon.body)).toEqual(['UNAUTHENTICATED']);

    const res = await stack.graphql<{ _service: { sdl: string } }>('{ _service { sdl } }', undefined, apiKey);
    expect(res.body.errors).toBeUndefined();
    expect(`${res.body.data!._service.sdl}\n`).toBe(subgraphSdl);
  });

  it('_entities without a principal is UNAUTHENTICATED and reaches no backend', async () => {
    await stack.reset();
    const res = await stack.graphql(ENTITIES, { reps: [{ __typename: 'User', id: 'u1' }] });
    expect(res.body.data ?? null).toBeNull();
    expect(codes(res.body)).toEqual(['UNAUTHENTICATED']);
    expect(stack.backendRequests()).toBe(0);
  });

  it('holds the data rule of users(ids:): a user gets itself, null + FORBIDDEN for another user (never fetched), null for an unknown id', async () => {
    await stack.reset();
    const token = await stack.token('u1');
    const reps = [
      { __typename: 'User', id: 'u1' },
      { __typename: 'User', id: 'u2' },
      { __typename: 'Industry', id: 'i3' },
      { __typename: 'Industry', id: 'i999' },
    ];
    const res = await stack.graphql<{ _entities: Array<Record<string, unknown> | null> }>(ENTITIES, { reps }, { token });
    const u1 = seed.getUser('u1')!;
    const i3 = seed.getIndustry('i3')!;
    expect(res.body.data?._entities).toEqual([
      { __typename: 'User', id: 'u1', name: u1.name, email: u1.email },
      null,
      { __typename: 'Industry', id: 'i3', name: i3.name, sector: i3.sector },
      null,
    ]);
    expect(res.body.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['_entities', 1], 'FORBIDDEN']]);
    // The refused id never went upstream.
    const asked = stack.backends.auth.requests
      .all()
      .filter((r) => r.path === '/api/users')
      .map((r) => r.query.ids ?? '');
    expect(asked.join(',').split(',')).not.toContain('u2');
  });

  it('refuses bad representations with BAD_USER_INPUT before any backend call', async () => {
    await stack.reset();
    const bad: unknown[][] = [
      [{ __typename: 'Job', id: 'j1' }],
      [{ __typename: 'User' }],
      [{ __typename: 'User', id: '' }],
      ['u1'],
      Array.from({ length: 61 }, (_, i) => ({ __typename: 'User', id: `u${i + 1}` })),
    ];
    for (const reps of bad) {
      const res = await stack.graphql(ENTITIES, { reps }, apiKey);
      expect(codes(res.body), JSON.stringify(reps).slice(0, 80)).toEqual(['BAD_USER_INPUT']);
    }
    expect(stack.backendRequests()).toBe(0);
  });

  describe('composed with a second subgraph and run by Hive Gateway (in-process)', () => {
    // A tiny second subgraph (graphql-yoga + @apollo/subgraph on loopback): tickets, each by a user
    // and about an industry, and User.tickets added by extending User @key(fields: "id").
    const TICKETS_SDL = /* GraphQL */ `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
      type User @key(fields: "id") {
        id: ID!
        tickets: [Ticket!]!
      }
      type Industry @key(fields: "id", resolvable: false) {
        id: ID!
      }
      type Ticket {
        id: ID!
        title: String!
        author: User!
        industry: Industry!
      }
      type Query {
        openTickets: [Ticket!]!
      }
    `;
    const tickets = Array.from({ length: 50 }, (_, i) => ({
      id: `t${i + 1}`,
      title: `Ticket ${i + 1}`,
      authorId: `u${i + 1}`,
      industryId: `i${(i % 12) + 1}`,
    }));
    type Ticket = (typeof tickets)[number];
    let ticketServer: Server;
    let router: ReturnType<typeof createGatewayRuntime>;

    beforeAll(async () => {
      const schema = buildSubgraphSchema({
        typeDefs: parse(TICKETS_SDL),
        resolvers: {
          Query: { openTickets: () => tickets },
          Ticket: { author: (t: Ticket) => ({ id: t.authorId }), industry: (t: Ticket) => ({ id: t.industryId }) },
          User: { tickets: (u: { id: string }) => tickets.filter((t) => t.authorId === u.id) },
        },
      });
      ticketServer = createServer(createYoga({ schema, logging: false }));
      await new Promise<void>((resolve) => ticketServer.listen(0, '127.0.0.1', resolve));
      const ticketsUrl = `http://127.0.0.1:${(ticketServer.address() as AddressInfo).port}/graphql`;

      const composed = composeServices([
        { name: 'gateway', typeDefs: parse(subgraphSdl), url: `${stack.url}/graphql` },
        { name: 'tickets', typeDefs: parse(TICKETS_SDL), url: ticketsUrl },
      ]);
      expect(composed.errors?.map((e) => e.message) ?? []).toEqual([]);
      router = createGatewayRuntime({
        supergraph: composed.supergraphSdl!,
        // The router authenticates to this gateway with its API key (a `service` principal).
        transportEntries: { gateway: { headers: [['x-api-key', ROUTER_KEY]] } },
        logging: false,
      });
    });
    afterAll(async () => {
      await router?.dispose();
      await new Promise((resolve) => ticketServer?.close(resolve));
    });

    const viaRouter = async <T>(query: string) => {
      const res = await router.fetch('http://router.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as { data?: T; errors?: unknown[] };
    };

    it('resolves 50 User and their Industry references through the gateway in one operation, batched: one backend call per service', async () => {
      await stack.reset();
      const body = await viaRouter<{
        openTickets: Array<{
          id: string;
          title: string;
          author: { id: string; name: string; email: string; tickets: Array<{ id: string }> };
          industry: { id: string; name: string };
        }>;
      }>(/* GraphQL */ `
        {
          openTickets {
            id
            title
            author {
              id
              name
              email
              tickets {
                id
              }
            }
            industry {
              id
              name
            }
          }
        }
      `);
      expect(body.errors).toBeUndefined();
      const got = body.data!.openTickets;
      expect(got).toHaveLength(50);
      for (const [i, t] of got.entries()) {
        const user = seed.getUser(`u${i + 1}`)!;
        const industry = seed.getIndustry(tickets[i]!.industryId)!;
        expect(t).toEqual({
          id: `t${i + 1}`,
          title: `Ticket ${i + 1}`,
          author: { id: user.id, name: user.name, email: user.email, tickets: [{ id: `t${i + 1}` }] },
          industry: { id: industry.id, name: industry.name },
        });
      }
      // The backends' own log: 50 user references were one auth call, 12 industries one industry call.
      expect(stack.backendRequests('auth', '/api/users')).toBe(1);
      expect(stack.backendRequests('industry', '/api/industries')).toBe(1);
      // And it came from the router's API key: backends saw the service principal.
      const [call] = stack.backends.auth.requests.all().filter((r) => r.path === '/api/users');
      expect(call!.headers['x-user-id']).toBe('service:router');
      expect(call!.query.ids?.split(',').sort()).toEqual(Array.from({ length: 50 }, (_, i) => `u${i + 1}`).sort());
    });

    it('answers a query rooted in the gateway with a field the other subgraph adds to User', async () => {
      await stack.reset();
      const body = await viaRouter<{ users: Array<{ id: string; name: string; tickets: Array<{ id: string; title: string }> }> }>(
        /* GraphQL */ `
          {
            users(ids: ["u3", "u7"]) {
              id
              name
              tickets {
                id
                title
              }
            }
          }
        `,
      );
      expect(body.errors).toBeUndefined();
      expect(body.data!.users).toEqual([
        { id: 'u3', name: seed.getUser('u3')!.name, tickets: [{ id: 't3', title: 'Ticket 3' }] },
        { id: 'u7', name: seed.getUser('u7')!.name, tickets: [{ id: 't7', title: 'Ticket 7' }] },
      ]);
    });
  });
});

describe('GRAPHQL_FEDERATION unset (default)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { GATEWAY_API_KEYS: `router:${ROUTER_KEY}` } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('serves no _service or _entities', async () => {
    const res = await stack.graphql('{ _service { sdl } }', undefined, apiKey);
    expect(codes(res.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});
