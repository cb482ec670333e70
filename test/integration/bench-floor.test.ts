import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_QUERY, S3_IDS, USERS_QUERY } from '../../bench/queries.js';
import { startStack, type Stack } from '../support/stack.js';

// The benchmark's floor must do the same work as the gateway, or the ratio means nothing.
// Same backends, same selections: the floor's JSON must equal the gateway's `data`.
describe('bench floor', () => {
  let stack: Stack;
  let floor: ChildProcess;
  let floorUrl: string;

  beforeAll(async () => {
    stack = await startStack({ signed: false, env: { ORCHESTRATION_CACHE_ENABLED: 'false' } });
    const { urls } = stack.backends;
    floor = spawn(process.execPath, ['--import', 'tsx', 'bench/floor.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        AUTH_SERVICE_URL: urls.auth,
        COMMENT_SERVICE_URL: urls.comment,
        INDUSTRY_SERVICE_URL: urls.industry,
        NPS_SERVICE_URL: urls.nps,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    floorUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      floor.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /BENCH_FLOOR (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      floor.once('exit', (code) => reject(new Error(`floor exited with code ${code}`)));
    });
  });

  afterAll(async () => {
    if (floor && floor.exitCode === null) {
      const exited = new Promise((r) => floor.once('exit', r));
      floor.kill('SIGTERM');
      await exited;
    }
    await stack?.close();
  });

  it('answers a dashboard exactly as the gateway does, with the same backend calls', async () => {
    for (const id of ['u1', 'u7', 'u500']) {
      stack.backends.resetAll();
      const gateway = await stack.graphql(DASHBOARD_QUERY, { id }, { token: await stack.token(id) });
      const gatewayCalls = stack.backendRequests();
      stack.backends.resetAll();
      const res = await fetch(`${floorUrl}/dashboard/${id}`);
      const floorCalls = stack.backendRequests();
      expect(res.status).toBe(200);
      expect(gateway.body.errors).toBeUndefined();
      expect(await res.json()).toEqual({ data: gateway.body.data });
      expect(floorCalls).toBe(gatewayCalls);
    }
  });

  it('answers the S3 batch exactly as the gateway does, in at most the same number of calls', async () => {
    const ids = Array.from({ length: S3_IDS }, (_, i) => `u${i + 101}`);
    stack.backends.resetAll();
    const gateway = await stack.graphql(USERS_QUERY, { ids }, { token: await stack.token('admin-1', 'admin') });
    const gatewayCalls = stack.backendRequests();
    stack.backends.resetAll();
    const res = await fetch(`${floorUrl}/users?ids=${ids.join(',')}`);
    const floorCalls = stack.backendRequests();
    expect(gateway.body.errors).toBeUndefined();
    expect(await res.json()).toEqual({ data: gateway.body.data });
    expect(floorCalls).toBeLessThanOrEqual(4);
    expect(gatewayCalls).toBeLessThanOrEqual(5);
  });

  it('answers 404 for an unknown user and a route it does not serve', async () => {
    expect((await fetch(`${floorUrl}/dashboard/nobody`)).status).toBe(404);
    expect((await fetch(`${floorUrl}/elsewhere`)).status).toBe(404);
  });
});
