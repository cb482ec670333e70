import type { IncomingHttpHeaders } from 'node:http';
import type { Reply } from './http-utils.js';

export type ServiceName = 'auth' | 'comment' | 'industry' | 'nps';
export const SERVICE_NAMES: readonly ServiceName[] = Object.freeze(['auth', 'comment', 'industry', 'nps']);

export interface RequestContext {
  method: string;
  /** Without the query string. */
  path: string;
  /** The raw request target. */
  url: string;
  query: URLSearchParams;
  /** Decoded `:name` path parameters. */
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The parsed body, for routes declared with `body: 'json'` (else undefined). */
  json: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Literal segments and `:param` segments, e.g. `/api/users/:id`. */
  path: string;
  /** `json`: the body is read (at most 1 MiB), parsed and given as `ctx.json`. */
  body?: 'json';
  handler(ctx: RequestContext): Reply | Promise<Reply>;
}

/** One of the four services: its routes and its mutable state. */
export interface ServiceModule {
  name: ServiceName;
  /** `<prefix>/echo` answers any method with what it received (see echo.ts). */
  echoPrefix: string;
  routes: Route[];
  /** Back to the seeded data (drops what POSTs added). */
  reset(): void;
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: string[] }
  | { kind: 'bad_path' }
  | { kind: 'not_found' };

interface CompiledRoute {
  route: Route;
  segments: string[];
}

/** A tiny matcher over `/`-separated segments; HEAD is served by the GET route. */
export function compileRoutes(routes: readonly Route[]): (method: string, path: string) => RouteMatch {
  const compiled: CompiledRoute[] = routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
  return (method, path) => {
    const parts = path.split('/').slice(1);
    const allow: string[] = [];
    for (const { route, segments } of compiled) {
      if (segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let matched = true;
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i] as string;
        const part = parts[i] as string;
        if (segment.startsWith(':')) {
          if (part === '') {
            matched = false;
            break;
          }
          try {
            params[segment.slice(1)] = decodeURIComponent(part);
          } catch {
            return { kind: 'bad_path' };
          }
        } else if (segment !== part) {
          matched = false;
          break;
        }
      }
      if (!matched) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { kind: 'found', route, params };
      allow.push(route.method);
    }
    return allow.length ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
  };
}
