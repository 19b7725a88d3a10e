import { authorize } from '../../domain/actor.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { ApiToken } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { lockToken, revokeToken } from '../../storage/token-repository.ts';
import type { ServiceContext } from '../context.ts';
import { assertMayGrant, type Grantor } from './grantor.ts';

/**
 * Revokes a token by id or prefix (the path's id; there is no body); a caller may revoke only a
 * token whose scopes it holds itself.
 */
export async function revokeApiToken(ctx: ServiceContext, idOrPrefix: string, grantor: Grantor): Promise<ApiToken> {
  authorize(ctx.actor, 'token.revoke');
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const found = await lockToken(tx, idOrPrefix);
    if (!found) throw new NotFoundError('token', idOrPrefix);
    assertMayGrant(grantor, found.scopes, 'revoke a token with');
    const token = (await revokeToken(tx, found.id, at)) as ApiToken;
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'token.revoked',
      target_type: 'api_token',
      target_id: token.id,
      details: { prefix: token.prefix },
      at,
    });
    return token;
  });
}
