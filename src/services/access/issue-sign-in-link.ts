import { hashToken } from '../../domain/secret-hash.ts';
import type { Queryable } from '../../storage/database.ts';
import { insertSignInLink } from '../../storage/session-repository.ts';
import type { ServiceContext } from '../context.ts';
import { newSecret, SIGN_IN_LINK_TTL_MS, type IssuedLink } from './session-rules.ts';

/**
 * A one-time link for the user, valid 15 minutes: part of creating an account or of a link
 * request, never a door of its own. `db` lets the caller issue it inside its transaction.
 */
export async function issueSignInLink(ctx: ServiceContext, userId: string, db: Queryable = ctx.db): Promise<IssuedLink> {
  const token = newSecret(ctx);
  const at = ctx.clock.now();
  const expiresAt = new Date(at.getTime() + SIGN_IN_LINK_TTL_MS);
  await insertSignInLink(db, { hash: hashToken(token), user_id: userId, created_at: at, expires_at: expiresAt });
  return { token, expiresAt };
}
