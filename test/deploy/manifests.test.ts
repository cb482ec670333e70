import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { envSchema } from '../../src/config/env-schema.js';

/**
 * The deployment files against independent references: every Kubernetes manifest is validated
 * by kubernetes-models (the API's own JSON schemas), and every variable the files set must be
 * one the gateway reads. No container engine runs on these machines (and base images cannot be
 * pulled), so the Dockerfile is checked for the structure docs/deploy.md promises.
 */
const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const gatewayVariables = new Set(Object.keys(envSchema.shape));

const MODELS = { Deployment, HorizontalPodAutoscaler, PodDisruptionBudget, ConfigMap, Secret, Service } as const;
type Kind = keyof typeof MODELS;

const manifests = readdirSync(new URL('deploy/kubernetes/', root))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(read(`deploy/kubernetes/${file}`)).map((doc) => ({ file, object: doc.toJS() as { kind: Kind; metadata: { name: string } } & Record<string, unknown> })));

function ofKind<K extends Kind>(kind: K): InstanceType<(typeof MODELS)[K]> {
  const found = manifests.find((m) => m.object.kind === kind);
  expect(found, `deploy/kubernetes/ has a ${kind}`).toBeDefined();
  return new MODELS[kind](found!.object as never) as InstanceType<(typeof MODELS)[K]>;
}

describe('deploy/kubernetes', () => {
  it.each(manifests.map((m) => [m.file, m.object.kind, m.object] as const))('%s: %s is valid against the Kubernetes schema', (_file, kind, object) => {
    const Model = MODELS[kind];
    expect(Model, `no validator for kind ${kind}`).toBeDefined();
    expect(() => new Model(object as never).validate()).not.toThrow();
  });

  it('has every object the deployment needs', () => {
    expect(new Set(manifests.map((m) => m.object.kind))).toEqual(new Set(Object.keys(MODELS)));
  });

  const deployment = ofKind('Deployment');
  const pod = deployment.spec!.template.spec!;
  const container = pod.containers[0]!;
  const config = ofKind('ConfigMap');
  const secret = ofKind('Secret');

  it('probes: startup and liveness on /health, readiness on /health/ready', () => {
    expect(container.startupProbe?.httpGet?.path).toBe('/health');
    expect(container.livenessProbe?.httpGet?.path).toBe('/health');
    expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
  });

  it('grace: terminationGracePeriodSeconds covers preStop, SHUTDOWN_GRACE_PERIOD and the gateway\'s 5 s margin', () => {
    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    expect(preStop[0]).toBe('sleep');
    const preStopMs = Number(preStop[1]) * 1000;
    const graceMs = Number(config.data!.SHUTDOWN_GRACE_PERIOD);
    expect(graceMs).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThanOrEqual(preStopMs + graceMs + 5000);
  });

  it('runs non-root on a read-only root filesystem, with requests and limits', () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).not.toBe(0);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(container.resources?.requests?.cpu).toBeDefined();
    expect(container.resources?.requests?.memory).toBeDefined();
    expect(container.resources?.limits?.memory).toBeDefined();
  });

  it('Service, HPA and PDB select and scale the Deployment', () => {
    const labels = deployment.spec!.template.metadata!.labels!;
    for (const selector of [ofKind('Service').spec!.selector!, ofKind('PodDisruptionBudget').spec!.selector!.matchLabels!]) {
      for (const [k, v] of Object.entries(selector)) expect(labels[k]).toBe(v);
    }
    const hpa = ofKind('HorizontalPodAutoscaler');
    expect(hpa.spec!.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata!.name });
    expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it('every variable set by the ConfigMap, the Secret and the container is one the gateway reads', () => {
    const names = [...Object.keys(config.data ?? {}), ...Object.keys(secret.stringData ?? {}), ...(container.env ?? []).map((e) => e.name)];
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((n) => !gatewayVariables.has(n))).toEqual([]);
    // And the required ones are there.
    for (const required of ['JWT_SECRET', 'AUTH_SERVICE_URL', 'COMMENT_SERVICE_URL', 'INDUSTRY_SERVICE_URL', 'NPS_SERVICE_URL']) expect(names).toContain(required);
  });
});

describe('deploy/compose.yaml', () => {
  const compose = parse(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string>; volumes?: string[] }> };
  const gateways = Object.entries(compose.services).filter(([name]) => name.startsWith('gateway-'));

  it('runs Redis, the reference backends, three gateway replicas and a load balancer', () => {
    expect(compose.services.redis?.image).toMatch(/^redis:/);
    expect(compose.services.backends?.command).toEqual(['node', 'dist/reference-backends/main.js']);
    expect(gateways).toHaveLength(3);
    expect(compose.services.lb?.image).toMatch(/^nginx:/);
  });

  it('every replica shares one Redis and sets only variables the gateway reads', () => {
    for (const [name, service] of gateways) {
      expect(service.environment?.REDIS_URL, name).toBe('redis://redis:6379');
      expect(Object.keys(service.environment ?? {}).filter((n) => !gatewayVariables.has(n)), name).toEqual([]);
    }
  });

  it('the load balancer sends traffic to every replica', () => {
    const nginx = read('deploy/nginx.conf');
    for (const [name] of gateways) expect(nginx).toContain(`server ${name}:3000`);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);

  it('is multi-stage on Node 22, building with dev dependencies and running with production ones', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const image of stages) expect(image).toMatch(/^node:22/);
    expect(dockerfile).toMatch(/RUN npm ci --no-audit/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/RUN npm run build/);
  });

  it('runs as a non-root user, with a HEALTHCHECK on /health', () => {
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(finalStage).toMatch(/^USER (node|\d+)/m);
    expect(finalStage).not.toMatch(/^USER (root|0)\b/m);
    expect(finalStage).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
  });

  it('starts Node in exec form (SIGTERM reaches it, no shell in between) with npm start\'s flags', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    expect(cmd, 'CMD must be in exec (JSON) form').not.toBeNull();
    const argv = JSON.parse(cmd![1]!) as string[];
    expect(argv[0]).toBe('node');
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!.split(/\s+/);
    expect(argv).toEqual(start);
  });

  it('.dockerignore keeps node_modules, build output and secrets out of the context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.env', '.git']) expect(ignored).toContain(entry);
  });
});
