import type { Span } from '@opentelemetry/api';

/** What an upstream call needs to know about the client request that caused it. */
export interface CallContext {
  readonly requestId: string;
  /** W3C traceparent to send upstream (already a child of the client's, when it sent one). */
  readonly traceparent?: string;
  /** The verified caller, sent as `x-user-id` / `x-user-role`; never taken from client headers. */
  readonly principal?: { readonly id: string; readonly role: string } | null;
  /**
   * The span upstream calls hang under: the request's, and the GraphQL operation's while it
   * executes (its plugin swaps it in and back). Carried here, not looked up by request id.
   */
  span?: Span;
}
