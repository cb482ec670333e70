/**
 * The few helpers the tests, the benchmark (`bench/`) and the demo (`scripts/demo.ts`) all
 * need: a token, a poll-until (and a plain sleep), and the environment that points a gateway at
 * four backends. Free of vitest and of `src/`, so that scripts can import it too.
 */
import { SignJWT } from 'jose';

export type BackendUrls = Record<'auth' | 'comment' | 'industry' | 'nps', string>;

/** An HS256 token as the gateway accepts it (gateway.md, "Authentication"). */
export function mintToken(secret: string, sub: string, role: string, expiresIn = '1h'): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

/** Resolves after `ms` milliseconds (where a test must let time pass: to see that nothing more arrives, or to outwait a timeout). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `intervalMs` until it holds; rejects after `timeoutMs` (keep it generous: the machine is shared). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 10,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** The environment that points a gateway at `urls`, with its JWT secret and (when given) its signing secret. */
export function gatewayEnv(urls: BackendUrls, secrets: { jwtSecret: string; signingSecret?: string | undefined }): Record<string, string> {
  return {
    JWT_SECRET: secrets.jwtSecret,
    AUTH_SERVICE_URL: urls.auth,
    COMMENT_SERVICE_URL: urls.comment,
    INDUSTRY_SERVICE_URL: urls.industry,
    NPS_SERVICE_URL: urls.nps,
    ...(secrets.signingSecret !== undefined ? { GATEWAY_SIGNING_SECRET: secrets.signingSecret } : {}),
  };
}

/**
 * A clock that moves only when told (cache TTLs, stale windows, token times): a test passes
 * it as `startStack({ clock })` and calls `advance(ms)` instead of sleeping.
 */
export class ManualClock {
  #t: number;
  constructor(start = Date.now()) {
    this.#t = start;
  }
  /** Bound, so that it can be handed over as `now`. */
  readonly now = (): number => this.#t;
  advance(ms: number): void {
    this.#t += ms;
  }
}
