import type { Plugin } from 'graphql-yoga';
import { requestError } from '../errors/index.js';

/** Whether `result` serializes to more than `maxBytes` of UTF-8. */
function overLimit(result: unknown, maxBytes: number): boolean {
  const json = JSON.stringify(result);
  // A UTF-16 code unit is 1 to 3 UTF-8 bytes: most answers are decided without encoding.
  if (json.length > maxBytes) return true;
  if (json.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(json) > maxBytes;
}

/**
 * `GRAPHQL_MAX_RESPONSE_BYTES`: an execution result larger than that once serialized is not
 * sent; the answer is one `RESPONSE_TOO_LARGE` error and no data. The cost limit bounds what
 * an operation may ask for; this bounds what it gets (long strings, lists longer than
 * declared). Measured with one JSON.stringify of the result (native, a few µs for a common
 * answer) because Yoga serializes later, out of a plugin's reach. Registered before the
 * other plugins, so they (audit, telemetry, the response cache) see the error in its place.
 */
export function useResponseSizeLimit(maxBytes: number): Plugin<Record<string, unknown>> {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          // A stream (a subscription) is not measured: its events are sent one by one.
          if (Symbol.asyncIterator in result) return;
          if (!overLimit(result, maxBytes)) return;
          setResult({
            errors: [
              requestError('RESPONSE_TOO_LARGE', {
                message: `The answer is larger than the limit of ${maxBytes} bytes and was not sent; ask for fewer items or fields.`,
              }),
            ],
          });
        },
      };
    },
  };
}
