import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { parseEmailAddress } from '../../domain/email-address.ts';
import { ConflictError } from '../../domain/errors.ts';
import { USER_ROLES } from '../../domain/roles.ts';
import { requireText } from '../../domain/validation.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import type { ResponderUser } from '../../domain/model.ts';
import { insertUser } from '../../storage/user-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { EmailAddress, Enum, limitsOf, PersonName } from '../shared/fields.ts';
import { issueSignInLink } from './issue-sign-in-link.ts';
import type { IssuedLink } from './session-rules.ts';

/** A new console account: the API's request body, the console form's fields, the CLI's flags. */
export const CreateUserInput = Type.Object(
  {
    email: EmailAddress,
    role: Enum(USER_ROLES),
    name: Type.Optional(PersonName),
  },
  { additionalProperties: false },
);
export type CreateUserInput = Static<typeof CreateUserInput>;
const NAME_MAX = limitsOf(CreateUserInput).name;

/** Creates an account and its first one-time sign-in link (the CLI prints it; the console can email it). */
export async function createUser(ctx: ServiceContext, raw: unknown): Promise<{ user: ResponderUser; link: IssuedLink }> {
  authorize(ctx.actor, 'user.manage');
  const input = parseInput(CreateUserInput, raw);
  // Accounts are matched case-insensitively; the address is kept as typed (domain lower-cased), by the shared rule.
  const email = parseEmailAddress('email', input.email);
  const name = input.name === undefined ? null : requireText('name', input.name, { max: NAME_MAX, allowEmpty: true }) || null;
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const user = await insertUser(tx, { id: ctx.ids.id(), email, name, role: input.role, at });
    if (!user) throw new ConflictError(`email: an account for ${email} already exists`);
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'user.created',
      target_type: 'responder_user',
      target_id: user.id,
      details: { email, role: input.role },
      at,
    });
    const link = await issueSignInLink(ctx, user.id, tx);
    return { user, link };
  });
}
