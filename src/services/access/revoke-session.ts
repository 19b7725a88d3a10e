import { authorize } from '../../domain/actor.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { revokeSession as revokeSessionRow } from '../../storage/session-repository.ts';
import type { ServiceContext } from '../context.ts';

/** Ends a session (the path's id, or the caller's own on sign-out); with `userId`, only if it belongs to that user. */
export async function revokeSession(ctx: ServiceContext, sessionId: string, userId?: string): Promise<boolean> {
  authorize(ctx.actor, 'account.self');
  const at = ctx.clock.now();
  const revoked = await revokeSessionRow(ctx.db, sessionId, at, userId);
  if (revoked)
    await insertAudit(ctx.db, { actor: ctx.actor.label, action: 'session.revoked', target_type: 'console_session', target_id: sessionId.slice(0, 12), at });
  return revoked;
}
