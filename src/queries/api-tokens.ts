import { authorize, type Actor } from '../domain/actor.ts';
import type { ApiToken } from '../domain/model.ts';
import type { Queryable } from '../storage/database.ts';
import { listTokens } from '../storage/token-repository.ts';

/** Every API token (never its secret or hash), for a caller who may see them (`token.read`). */
export function listApiTokens(ctx: { db: Queryable; actor: Actor }): Promise<ApiToken[]> {
  authorize(ctx.actor, 'token.read');
  return listTokens(ctx.db);
}
