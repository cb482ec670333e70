import type { KeyvOptions } from 'keyv';

/**
 * Keyv (de)serialization of the Redis cache: plain JSON (upstream answers and dashboards
 * built from them). Keyv's default parses with a reviver for Buffers and other types we
 * never store, a measurable cost on every cached read (see docs/benchmark.md).
 */
export const plainJson: Pick<KeyvOptions, 'serialize' | 'deserialize'> = {
  serialize: (data) => JSON.stringify(data),
  deserialize: (text) => JSON.parse(text) as never,
};
