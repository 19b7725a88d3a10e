import type { ConsoleSession, ResponderUser } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { insertSession } from '../../storage/session-repository.ts';
import type { ServiceContext } from '../context.ts';
import { newSecret, sessionIdOf, slidingExpiry, type SignedIn } from './session-rules.ts';

/**
 * Opens a session for a user whose credentials a sign-in verb has just checked; returns the token
 * for the cookie. The sign-in is audited as the user (the caller is still a visitor).
 */
export async function createSession(ctx: ServiceContext, user: ResponderUser, method: ConsoleSession['method'], userAgent: string | null): Promise<SignedIn> {
  const token = newSecret(ctx);
  const at = ctx.clock.now();
  const session: ConsoleSession = {
    id: sessionIdOf(token),
    user_id: user.id,
    created_at: at,
    last_seen_at: at,
    expires_at: slidingExpiry(at, at),
    revoked_at: null,
    method,
    user_agent: userAgent ? userAgent.slice(0, 300) : null,
  };
  await ctx.db.transaction(async (tx) => {
    await insertSession(tx, session);
    await insertAudit(tx, {
      actor: `user:${user.email}`,
      action: 'user.signed_in',
      target_type: 'responder_user',
      target_id: user.id,
      details: { method },
      at,
    });
  });
  return { user, token, session };
}
