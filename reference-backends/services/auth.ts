import { createHash, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';
import { DEMO_PASSWORD, findUserByEmail, getUser } from '../data.js';
import { HttpError, parseIdList, requireObject, scramble } from '../http-utils.js';
import type { ServiceModule } from '../routing.js';

export interface AuthServiceOptions {
  /** HS256 secret of the issued tokens (the gateway's `JWT_SECRET`). */
  jwtSecret: string;
  /** Token lifetime in seconds (default 3600). */
  tokenTtlSeconds?: number;
}

const PASSWORD_DIGEST = createHash('sha256').update(DEMO_PASSWORD).digest();

function passwordMatches(password: string): boolean {
  return timingSafeEqual(createHash('sha256').update(password).digest(), PASSWORD_DIGEST);
}

/** auth service: users and login (backends.md, "auth service"). */
export function createAuthService(options: AuthServiceOptions): ServiceModule {
  const key = new TextEncoder().encode(options.jwtSecret);
  const ttl = options.tokenTtlSeconds ?? 3600;

  return {
    name: 'auth',
    echoPrefix: '/api/auth/echo',
    reset() {},
    routes: [
      {
        method: 'GET',
        path: '/api/users/:id',
        handler: ({ params }) => {
          const user = getUser(params.id ?? '');
          if (!user) throw new HttpError(404, 'not_found', `user ${params.id} does not exist`);
          return { status: 200, body: user };
        },
      },
      {
        method: 'GET',
        path: '/api/users',
        handler: ({ query, url }) => {
          const raw = query.get('ids');
          if (raw === null) throw new HttpError(400, 'invalid_request', 'ids is required');
          const found = parseIdList(raw, 'ids').flatMap((id) => getUser(id) ?? []);
          return { status: 200, body: { users: scramble(found, url) } };
        },
      },
      {
        method: 'POST',
        path: '/api/auth/login',
        body: 'json',
        handler: async ({ json }) => {
          const { email, password } = requireObject(json);
          if (typeof email !== 'string' || typeof password !== 'string') {
            throw new HttpError(400, 'invalid_request', 'email and password must be strings');
          }
          const user = findUserByEmail(email.trim());
          // Hash the password even for an unknown email: no timing difference between the two.
          const ok = passwordMatches(password) && user !== undefined;
          if (!ok || !user) throw new HttpError(401, 'invalid_credentials', 'wrong email or password');
          const token = await new SignJWT({ role: user.role })
            .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
            .setSubject(user.id)
            .setIssuedAt()
            .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
            .sign(key);
          return { status: 200, body: { token, user } };
        },
      },
    ],
  };
}
