import type { CallContext } from '../call-context.js';
import { usersResponse, type User } from '../dto.js';
import { idList, parseBody } from '../parse-body.js';
import type { Read } from '../read-through.js';
import { readFromService, type SourceKit } from '../source-kit.js';

/** Reads of the auth service: users, batched by `?ids=`. */
export class AuthSource {
  constructor(
    private readonly kit: SourceKit,
    private readonly ttlMs: number,
  ) {}

  /** One result per id, in order; `null` value for an unknown id. */
  usersByIds(ids: readonly string[], ctx: CallContext): Promise<Array<Read<User | null>>> {
    return readFromService<User>(this.kit, {
      kind: 'user',
      keys: ids,
      ttlMs: this.ttlMs,
      fetch: async (missing) => {
        const body = await this.kit.client.getJson(`/api/users?ids=${idList(missing)}`, ctx);
        const { users } = parseBody(usersResponse, body ?? { users: [] }, 'auth');
        return new Map(users.map((u) => [u.id, u]));
      },
    });
  }
}
