import type { KeyvOptions } from 'keyv';

/**
 * Keyv (de)serialization for what the gateway caches: plain JSON (upstream answers and
 * dashboards built from them). Keyv's default parses with a reviver for Buffers and other
 * types we never store, which the benchmark measured at 6.6 % of a fully cached request.
 */
export const plainJson: Pick<KeyvOptions, 'serialize' | 'deserialize'> = {
  serialize: (data) => JSON.stringify(data),
  deserialize: (text) => JSON.parse(text) as never,
};
