import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { requestError } from '../errors/index.js';

/** Whether `json` is more than `maxBytes` of UTF-8. */
function overLimit(json: string, maxBytes: number): boolean {
  // A UTF-16 code unit is 1 to 3 UTF-8 bytes: most answers are decided without encoding.
  if (json.length > maxBytes) return true;
  if (json.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(json) > maxBytes;
}

/**
 * `GRAPHQL_MAX_RESPONSE_BYTES`: an execution result larger than that once serialized is not
 * sent; the answer is one `RESPONSE_TOO_LARGE` error and no data. The cost limit bounds what
 * an operation may ask for; this bounds what it gets (long strings, lists longer than
 * declared). Measured with one JSON.stringify of the result, because Yoga serializes later,
 * out of a plugin's reach; that text is then handed to Yoga, which serializes a result with
 * its `stringify` when it has one, so an answer is serialized once (`reuseText`). Registered
 * before the other plugins, so they (audit, telemetry, the response cache) see the error in
 * its place.
 */
export function useResponseSizeLimit(maxBytes: number): Plugin<Record<string, unknown>> {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          // A stream (a subscription) is not measured: its events are sent one by one.
          if (Symbol.asyncIterator in result) return;
          const json = JSON.stringify(result);
          if (!overLimit(json, maxBytes)) {
            reuseText(result, json);
            return;
          }
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

/** A result as Yoga serializes it: with its own `stringify` when it has one (graphql-jit sets one). */
export type SerializableResult = ExecutionResult & { stringify?: (result: unknown) => string };

/**
 * Whether Yoga sends `result` as it is (status 200, the result through its own `stringify`):
 * one with errors or `extensions.http` is sent as a sanitized copy, with the status it asks for.
 */
export function sentAsIs(result: SerializableResult): boolean {
  return !result.errors?.length && result.extensions?.http === undefined;
}

/**
 * Lets Yoga send `json` instead of serializing `result` again. Only for the object measured:
 * Yoga serializes a result with errors or `extensions.http` as a sanitized copy, and a plugin
 * that changes the result afterwards (`extensions.stale`) replaces it with a copy; a copy is
 * serialized anew.
 */
function reuseText(result: SerializableResult, json: string): void {
  if (!sentAsIs(result)) return;
  const own = result.stringify ?? JSON.stringify;
  result.stringify = (r) => (r === result ? json : own(r));
}
