import { describe, expect, it, vi } from 'vitest';
import type { ExecutionResult } from 'graphql';
import { useResponseSizeLimit } from '../../../src/security/use-response-size-limit.js';

type Serializable = ExecutionResult & { stringify?: (r: unknown) => string };

/** Runs the plugin's onExecuteDone on `result` as envelop does; returns the result it leaves. */
function runLimit(maxBytes: number, result: Serializable): Serializable {
  let final = result;
  const hooks = (useResponseSizeLimit(maxBytes).onExecute as (p: unknown) => { onExecuteDone(p: unknown): void })({});
  hooks.onExecuteDone({ result, setResult: (r: Serializable) => (final = r) });
  return final;
}

describe('response size limit: an answer is serialized once', () => {
  const answer = (): Serializable => ({ data: { users: [{ id: 'u1', name: 'Ada Lovelace' }] } });

  it('hands Yoga the text it measured, so Yoga does not serialize the result again', () => {
    const result = runLimit(10_000, answer());
    const spy = vi.spyOn(JSON, 'stringify');
    try {
      expect(result.stringify?.(result)).toBe('{"data":{"users":[{"id":"u1","name":"Ada Lovelace"}]}}');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('a copy made after the check (extensions.stale) is serialized anew, with what it adds', () => {
    const result = runLimit(10_000, answer());
    const copy = { ...result, extensions: { stale: ['users'] } };
    expect(copy.stringify?.(copy)).toBe(JSON.stringify(copy));
    expect(copy.stringify?.(copy)).toContain('"stale":["users"]');
  });

  it('a result with errors or extensions.http keeps its own serialization (Yoga sends a sanitized copy)', () => {
    const result = runLimit(10_000, { data: null, extensions: { http: { status: 429 } } });
    expect(result.stringify).toBeUndefined();
    const withErrors = runLimit(10_000, { data: null, errors: [{ message: 'x' }] as never });
    expect(withErrors.stringify).toBeUndefined();
  });

  it('an answer over the limit is replaced by RESPONSE_TOO_LARGE', () => {
    const result = runLimit(20, answer());
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.extensions?.code).toBe('RESPONSE_TOO_LARGE');
  });
});
