import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { ValidationError } from '../../domain/errors.ts';
import { checkPasswordStrength, hashPassword, verifyPassword } from '../../domain/password.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { revokeUserSessions } from '../../storage/session-repository.ts';
import { readPasswordHash, setPasswordHash } from '../../storage/user-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';

/**
 * The password form's fields. Only their types are the schema's: the strength rule (length,
 * not only spaces) is `checkPasswordStrength`'s and runs after the current password is checked,
 * so a wrong current password is named first and the form keeps its words.
 */
export const SetPasswordInput = Type.Object(
  {
    /** Required when the account has a password, unless a fresh sign-in link proved the address. */
    current: Type.Optional(Type.String()),
    password: Type.String(),
    confirm: Type.String(),
  },
  { additionalProperties: false },
);
export type SetPasswordInput = Static<typeof SetPasswordInput>;

/** What the door knows about the session asking, not typed by the person. */
export interface SetPasswordOptions {
  /** A sign-in link used moments ago proved the address: no current password is asked (forgotten password). */
  currentNotRequired?: boolean;
  /** The session to keep; the user's other sessions are signed out when a password is replaced. */
  keepSessionId?: string;
}

/** Sets or changes an account's own password; errors name the form field (`current`, `password`, `confirm`). */
export async function setPassword(ctx: ServiceContext, userId: string, raw: unknown, options: SetPasswordOptions = {}): Promise<void> {
  authorize(ctx.actor, 'account.self');
  const input = parseInput(SetPasswordInput, raw);
  const existing = await readPasswordHash(ctx.db, userId);
  if (existing && !options.currentNotRequired) {
    if (input.current === undefined || input.current === '') throw new ValidationError('current', 'enter your current password');
    if (!(await verifyPassword(input.current, existing))) throw new ValidationError('current', 'is not your current password');
  }
  const password = checkPasswordStrength('password', input.password);
  if (input.confirm !== password) throw new ValidationError('confirm', 'does not match the new password');
  const hash = await hashPassword(password);
  const at = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    await setPasswordHash(tx, userId, hash, at);
    // A replaced password may have leaked: every other session ends.
    const revoked = existing ? await revokeUserSessions(tx, userId, at, options.keepSessionId) : 0;
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: existing ? 'user.password_changed' : 'user.password_set',
      target_type: 'responder_user',
      target_id: userId,
      details: { other_sessions_revoked: revoked },
      at,
    });
  });
}
