export type Role = 'user' | 'admin' | 'service';

/** The verified caller of a request. Never built from client-supplied identity headers. */
export interface Principal {
  /** User id (`sub`), or `service:<name>` for an API key. */
  readonly id: string;
  readonly role: Role;
  readonly via: 'jwt' | 'api-key';
  /** Seconds since epoch when the credential stops being valid (JWT `exp`). */
  readonly expiresAt?: number;
}
