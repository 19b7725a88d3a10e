import Type, { type Static } from 'typebox';
import { parseEmailAddress } from '../../domain/email-address.ts';
import type { ResponderUser } from '../../domain/model.ts';
import { expireUserLinks } from '../../storage/session-repository.ts';
import { findUserByEmail } from '../../storage/user-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { EmailAddress } from '../shared/fields.ts';
import { issueSignInLink } from './issue-sign-in-link.ts';
import type { IssuedLink } from './session-rules.ts';

/** "Email me a sign-in link": the address typed on the sign-in page. */
export const RequestSignInLinkInput = Type.Object({ email: EmailAddress }, { additionalProperties: false });
export type RequestSignInLinkInput = Static<typeof RequestSignInLinkInput>;

/**
 * A link for an enabled account, null for an unknown or disabled one. Callers answer the same
 * either way. Older unused links of the account stop working.
 */
export async function requestSignInLink(ctx: ServiceContext, raw: unknown): Promise<{ user: ResponderUser; link: IssuedLink } | null> {
  const input = parseInput(RequestSignInLinkInput, raw);
  const user = await findUserByEmail(ctx.db, parseEmailAddress('email', input.email));
  if (!user || user.disabled_at) return null;
  return ctx.db.transaction(async (tx) => {
    await expireUserLinks(tx, user.id, ctx.clock.now());
    return { user, link: await issueSignInLink(ctx, user.id, tx) };
  });
}
