import { UnauthorizedError } from '../../domain/errors.ts';
import type { ApiToken } from '../../domain/model.ts';
import { findActiveTokenByHash, markTokenUsed } from '../../storage/token-repository.ts';
import type { ServiceContext } from '../context.ts';
import { hashToken, TOKEN_PREFIX } from '../../domain/secret-hash.ts';

/** Checks a bearer token (before there is an actor: it is what makes one); throws 401 for unknown or revoked ones. */
export async function authenticateApiToken(ctx: Omit<ServiceContext, 'actor'>, token: string): Promise<ApiToken> {
  if (!token.startsWith(TOKEN_PREFIX)) throw new UnauthorizedError();
  const found = await findActiveTokenByHash(ctx.db, hashToken(token));
  if (!found) throw new UnauthorizedError();
  await markTokenUsed(ctx.db, found.id, ctx.clock.now());
  return found;
}
