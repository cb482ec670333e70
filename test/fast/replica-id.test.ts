import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startApp, type FastApp } from '../support/app.js';

const BASE = {
  JWT_SECRET: 'x'.repeat(32),
  AUTH_SERVICE_URL: 'http://127.0.0.1:1',
  COMMENT_SERVICE_URL: 'http://127.0.0.1:2',
  INDUSTRY_SERVICE_URL: 'http://127.0.0.1:3',
  NPS_SERVICE_URL: 'http://127.0.0.1:4',
};

/** Breakers are per replica: stats say which replica they come from (gateway.md, "Running many replicas"). */
describe('replica id', () => {
  const apps: FastApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('defaults to hostname:pid; GATEWAY_REPLICA_ID names it; a bad one is refused at start', () => {
    expect(loadConfig(BASE).replicaId).toBe(`${hostname()}:${process.pid}`);
    expect(loadConfig({ ...BASE, GATEWAY_REPLICA_ID: 'gateway-7f9c-2' }).replicaId).toBe('gateway-7f9c-2');
    expect(() => loadConfig({ ...BASE, GATEWAY_REPLICA_ID: 'two words' })).toThrow(/GATEWAY_REPLICA_ID/);
  });

  it('REST stats and GraphQL stats name the replica', async () => {
    const app = await startApp({ env: { GATEWAY_REPLICA_ID: 'replica-a' } });
    apps.push(app);
    const admin = await app.token('u2', 'admin');
    const rest = await app.inject({ method: 'GET', url: '/api/gateway/stats', headers: { authorization: `Bearer ${admin}` } });
    expect(rest.json()).toMatchObject({ replica: 'replica-a' });
    const { body } = await app.graphql('{ stats { replica } }', {}, { token: admin });
    expect(body.data).toEqual({ stats: { replica: 'replica-a' } });
  });
});
