/**
 * The four reference services of `backends.md` (auth, comment, industry, nps) on plain
 * `node:http`, with seeded data, request signing verification, a request log and fault
 * injection. Used by `npm run demo`, `npm run backends`, the integration tests and the
 * benchmark.
 */
import type { Faults } from './faults.js';
import { createAuthService } from './services/auth.js';
import { createCommentService } from './services/comment.js';
import { createIndustryService } from './services/industry.js';
import { createNpsService } from './services/nps.js';
import { SERVICE_NAMES, type ServiceModule, type ServiceName } from './routing.js';
import { startService, type ReferenceService } from './service-server.js';

export type { ServiceName } from './routing.js';
export { SERVICE_NAMES } from './routing.js';
export type { ReferenceService } from './service-server.js';
export { STATUS_PATH, INITIAL_LAST_UPDATED, MAX_JSON_BODY_BYTES } from './service-server.js';
export type { Faults, FaultController } from './faults.js';
export { BASE_FAULTS, FAULT_KEYS, validateFaults } from './faults.js';
export type { LoggedRequest, RequestLog } from './request-log.js';
export { verifySignature, bodyMatches, UNSIGNED_PAYLOAD, EMPTY_BODY_SHA256, MAX_SIGNATURE_SKEW_MS } from './signature.js';
export type { SignatureCheck, VerifySignatureInput } from './signature.js';
export { downloadSha256 } from './echo.js';
export { MAX_IDS, MAX_LIMIT, DEFAULT_LIMIT } from './http-utils.js';
export * as seed from './data.js';

/** The JWT secret of `npm run backends` and the demo when `JWT_SECRET` is not set. Never use it in production. */
export const DEMO_JWT_SECRET = 'reference-backends-demo-jwt-secret-not-for-production';

/** The ports of `npm run backends` (`AUTH_PORT`, `COMMENT_PORT`, `INDUSTRY_PORT`, `NPS_PORT`). */
export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = Object.freeze({ auth: 4001, comment: 4002, industry: 4003, nps: 4004 });

export interface StartBackendsOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Per service; default 0 (an ephemeral port). */
  ports?: Partial<Record<ServiceName, number>>;
  /** When set, every non-control request must carry a valid gateway signature. */
  signingSecret?: string;
  /** HS256 secret of the tokens `POST /api/auth/login` issues. */
  jwtSecret: string;
  /** Reported shared knowledge version of every service (default `'1.0.0'`). */
  version?: string;
  /** Latency added to every data request (default 0). */
  latencyMs?: number;
  /** Initial faults per service; `faults.reset()` returns to them (they override `version` and `latencyMs`). */
  faults?: Partial<Record<ServiceName, Partial<Faults>>>;
  /** Reserved: the backends never log per request; `main.ts` prints its URLs unless quiet. */
  quiet?: boolean;
}

export interface ReferenceBackends {
  auth: ReferenceService;
  comment: ReferenceService;
  industry: ReferenceService;
  nps: ReferenceService;
  /** In the order auth, comment, industry, nps. */
  all: ReferenceService[];
  urls: Record<ServiceName, string>;
  /** `reset()` on every service: faults to defaults, logs cleared, data back to the seed. */
  resetAll(): void;
  /** Closes every service; safe to call twice. */
  close(): Promise<void>;
}

/** The route module of one service (also served in memory by the tests' fast tier). */
export function createModule(name: ServiceName, jwtSecret: string): ServiceModule {
  switch (name) {
    case 'auth':
      return createAuthService({ jwtSecret });
    case 'comment':
      return createCommentService();
    case 'industry':
      return createIndustryService();
    case 'nps':
      return createNpsService();
  }
}

/** Starts the four services (on ephemeral loopback ports unless told otherwise). */
export async function startBackends(options: StartBackendsOptions): Promise<ReferenceBackends> {
  if (typeof options.jwtSecret !== 'string' || options.jwtSecret.length === 0) {
    throw new TypeError('startBackends: jwtSecret is required');
  }
  if (options.signingSecret !== undefined && options.signingSecret.length === 0) {
    throw new TypeError('startBackends: signingSecret must not be empty (omit it to verify no signatures)');
  }
  const host = options.host ?? '127.0.0.1';
  const results = await Promise.allSettled(
    SERVICE_NAMES.map((name) => {
      const base: Partial<Faults> = {};
      if (options.version !== undefined) base.version = options.version;
      if (options.latencyMs !== undefined) base.latencyMs = options.latencyMs;
      return startService({
        module: createModule(name, options.jwtSecret),
        host,
        port: options.ports?.[name] ?? 0,
        signingSecret: options.signingSecret,
        faults: { ...base, ...options.faults?.[name] },
      });
    }),
  );
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.flatMap((r, i) =>
    r.status === 'rejected' ? [{ name: SERVICE_NAMES[i] as ServiceName, reason: r.reason as unknown }] : [],
  );
  if (failed.length > 0) {
    await Promise.all(started.map((s) => s.close()));
    const why = failed.map(({ name, reason }) => {
      const error = reason as NodeJS.ErrnoException;
      const port = options.ports?.[name] ?? 0;
      return error?.code === 'EADDRINUSE' ? `${name}: port ${port} is already in use` : `${name}: ${error?.message ?? String(reason)}`;
    });
    throw new Error(`could not start the reference backends (${why.join('; ')})`);
  }
  const [auth, comment, industry, nps] = started as [ReferenceService, ReferenceService, ReferenceService, ReferenceService];
  const all = [auth, comment, industry, nps];
  let closing: Promise<void> | null = null;
  return {
    auth,
    comment,
    industry,
    nps,
    all,
    urls: { auth: auth.url, comment: comment.url, industry: industry.url, nps: nps.url },
    resetAll() {
      for (const service of all) service.reset();
    },
    close() {
      closing ??= Promise.all(all.map((s) => s.close())).then(() => undefined);
      return closing;
    },
  };
}
