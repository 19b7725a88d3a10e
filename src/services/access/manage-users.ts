import { authorize } from '../../domain/actor.ts';
import { parseEmailAddress } from '../../domain/email-address.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import { checkPasswordStrength, hashPassword, verifyPassword } from '../../domain/password.ts';
import { requireOneOf, requireText } from '../../domain/validation.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { expireUserLinks, revokeUserSessions } from '../../storage/session-repository.ts';
import {
  disableUser as disableUserRow, findUserByEmail, findUserById, insertUser, listUsers as listUserRows, lockEnabledAdmins, readPasswordHash, setPasswordHash,
} from '../../storage/user-repository.ts';
import type { ResponderUser } from '../../domain/model.ts';
import { USER_ROLES, type UserRole } from '../../domain/roles.ts';
import type { ServiceContext } from '../context.ts';
import { issueSignInLink, type IssuedLink } from './sign-in.ts';

/** Accounts are matched case-insensitively; the address is kept as typed (domain lower-cased), by the shared rule. */
export function normaliseAccountEmail(value: unknown, field = 'email'): string {
  return parseEmailAddress(field, value);
}

export interface CreateUserInput {
  email: string;
  role: string;
  name?: string | null;
}

/** Creates an account and its first one-time sign-in link (the CLI prints it; the console can email it). */
export async function createUser(ctx: ServiceContext, input: CreateUserInput): Promise<{ user: ResponderUser; link: IssuedLink }> {
  authorize(ctx.actor, 'user.manage');
  const email = normaliseAccountEmail(input.email);
  const role: UserRole = requireOneOf('role', input.role, USER_ROLES);
  const name = input.name === undefined || input.name === null ? null : requireText('name', input.name, { max: 120, allowEmpty: true }) || null;
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const user = await insertUser(tx, { id: ctx.ids.id(), email, name, role, at });
    if (!user) throw new ConflictError(`email: an account for ${email} already exists`);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'user.created', target_type: 'responder_user', target_id: user.id, details: { email, role }, at });
    const link = await issueSignInLink(ctx, user.id, tx);
    return { user, link };
  });
}

export function listUsers(ctx: ServiceContext): Promise<ResponderUser[]> {
  return listUserRows(ctx.db);
}

async function findByIdOrEmail(ctx: ServiceContext, idOrEmail: string): Promise<ResponderUser> {
  const user = idOrEmail.includes('@') ? await findUserByEmail(ctx.db, idOrEmail.trim()) : await findUserById(ctx.db, idOrEmail);
  if (!user) throw new NotFoundError('user', idOrEmail);
  return user;
}

/**
 * Disables an account: its sessions end and its unused sign-in links stop working at once. The
 * last enabled admin cannot be disabled (nobody could manage accounts or tokens from the console then).
 */
export async function disableUser(ctx: ServiceContext, idOrEmail: string): Promise<ResponderUser> {
  authorize(ctx.actor, 'user.manage');
  const found = await findByIdOrEmail(ctx, idOrEmail);
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
    await insertAudit(tx, { actor: ctx.actor.label, action: 'user.disabled', target_type: 'responder_user', target_id: user.id, details: { email: user.email, sessions_revoked: sessions }, at });
    return user;
  });
}

export interface SetPasswordInput {
  password: string;
  confirm: string;
  /** Required when the account has a password, unless `currentNotRequired` (a fresh sign-in link proved the address). */
  current?: string;
  currentNotRequired?: boolean;
  /** The session to keep; the user's other sessions are signed out when a password is replaced. */
  keepSessionId?: string;
}

/** Sets or changes the password; errors name the form field (`current`, `password`, `confirm`). */
export async function setPassword(ctx: ServiceContext, userId: string, input: SetPasswordInput): Promise<void> {
  const existing = await readPasswordHash(ctx.db, userId);
  if (existing && !input.currentNotRequired) {
    if (typeof input.current !== 'string' || input.current === '') throw new ValidationError('current', 'enter your current password');
    if (!(await verifyPassword(input.current, existing))) throw new ValidationError('current', 'is not your current password');
  }
  const password = checkPasswordStrength('password', input.password);
  if (input.confirm !== password) throw new ValidationError('confirm', 'does not match the new password');
  const hash = await hashPassword(password);
  const at = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    await setPasswordHash(tx, userId, hash, at);
    // A replaced password may have leaked: every other session ends.
    const revoked = existing ? await revokeUserSessions(tx, userId, at, input.keepSessionId) : 0;
    await insertAudit(tx, { actor: ctx.actor.label, action: existing ? 'user.password_changed' : 'user.password_set', target_type: 'responder_user', target_id: userId, details: { other_sessions_revoked: revoked }, at });
  });
}
