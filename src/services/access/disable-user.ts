import { authorize } from '../../domain/actor.ts';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { expireUserLinks, revokeUserSessions } from '../../storage/session-repository.ts';
import { disableUser as disableUserRow, findUserByEmail, findUserById, lockEnabledAdmins } from '../../storage/user-repository.ts';
import type { ResponderUser } from '../../domain/model.ts';
import type { ServiceContext } from '../context.ts';

/**
 * Disables an account, named by id or email (the path's id; there is no body): its sessions end
 * and its unused sign-in links stop working at once. The last enabled admin cannot be disabled
 * (nobody could manage accounts or tokens from the console then).
 */
export async function disableUser(ctx: ServiceContext, idOrEmail: string): Promise<ResponderUser> {
  authorize(ctx.actor, 'user.manage');
  const found = idOrEmail.includes('@') ? await findUserByEmail(ctx.db, idOrEmail.trim()) : await findUserById(ctx.db, idOrEmail);
  if (!found) throw new NotFoundError('user', idOrEmail);
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    // Locked before the check, so two concurrent requests cannot each disable one of the last two admins.
    const admins = await lockEnabledAdmins(tx);
    if (admins.length <= 1 && admins.includes(found.id)) {
      throw new ConflictError(`${found.email} is the only enabled admin; make another account admin first`);
    }
    const user = (await disableUserRow(tx, found.id, at)) as ResponderUser;
    const sessions = await revokeUserSessions(tx, user.id, at);
    await expireUserLinks(tx, user.id, at);
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'user.disabled',
      target_type: 'responder_user',
      target_id: user.id,
      details: { email: user.email, sessions_revoked: sessions },
      at,
    });
    return user;
  });
}
