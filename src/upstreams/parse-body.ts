import type { z } from 'zod';
import { GatewayError, errorMessages } from '../errors/index.js';

/** Validates an upstream answer; a malformed one is the service's failure, reported as `UPSTREAM_ERROR`. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, service: string): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new GatewayError('UPSTREAM_ERROR', {
    service,
    message: errorMessages.serviceOffContract(service),
    cause: parsed.error,
  });
}

/** `ids` joined for a `?ids=` style query, each encoded. */
export function idList(ids: readonly string[]): string {
  return ids.map(encodeURIComponent).join(',');
}

/** Groups items by a key, keeping at most `limit` per key, newest first by `at`. */
export function groupNewest<T>(items: readonly T[], keyOf: (t: T) => string, at: (t: T) => string, limit: number): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  for (const [k, list] of groups) {
    // Backends answer newest first per key but do not promise an order across keys.
    list.sort((a, b) => (at(a) < at(b) ? 1 : at(a) > at(b) ? -1 : 0));
    if (list.length > limit) groups.set(k, list.slice(0, limit));
  }
  return groups;
}
