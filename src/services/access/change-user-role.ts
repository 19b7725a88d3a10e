import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import { USER_ROLES } from '../../domain/roles.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { findUserById, lockEnabledAdmins, setUserRole } from '../../storage/user-repository.ts';
import type { ResponderUser } from '../../domain/model.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { Enum } from '../shared/fields.ts';

/** The console's role form (the account is the path's id). */
export const ChangeUserRoleInput = Type.Object({ role: Enum(USER_ROLES) }, { additionalProperties: false });
export type ChangeUserRoleInput = Static<typeof ChangeUserRoleInput>;

/**
 * Gives an account another role; it applies to its open sessions at their next request. The last
 * enabled admin cannot be demoted (nobody could manage accounts or tokens from the console then).
 */
export async function changeUserRole(ctx: ServiceContext, userId: string, raw: unknown): Promise<ResponderUser> {
  authorize(ctx.actor, 'user.manage');
  const { role } = parseInput(ChangeUserRoleInput, raw);
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const admins = await lockEnabledAdmins(tx);
    const user = await findUserById(tx, userId);
    if (!user) throw new NotFoundError('user', userId);
    if (user.role === role) return user;
    if (user.role === 'admin' && !user.disabled_at && admins.length <= 1) {
      throw new ConflictError('role: this is the only admin; make another account admin first');
    }
    const updated = (await setUserRole(tx, user.id, role, at)) as ResponderUser;
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'user.role_changed',
      target_type: 'responder_user',
      target_id: user.id,
      details: { email: user.email, from: user.role, to: role },
      at,
    });
    return updated;
  });
}
