import Type, { type Static } from 'typebox';
import { hashPassword, needsRehash, PASSWORD_MAX, verifyAgainstDummy, verifyPassword } from '../../domain/password.ts';
import { findCredentials, setPasswordHash } from '../../storage/user-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { EmailAddress } from '../shared/fields.ts';
import { createSession } from './create-session.ts';
import type { SignedIn } from './session-rules.ts';

/**
 * The sign-in form. An address or password longer than any account can have is refused by the
 * schema; a door that must not tell failures apart answers that refusal like a wrong password.
 */
export const SignInWithPasswordInput = Type.Object(
  {
    email: EmailAddress,
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
  },
  { additionalProperties: false },
);
export type SignInWithPasswordInput = Static<typeof SignInWithPasswordInput>;

/**
 * Password sign-in. Null for every kind of failure (unknown address, no password, disabled
 * account, wrong password), after the same amount of work, so the answer does not reveal which.
 */
export async function signInWithPassword(ctx: ServiceContext, raw: unknown, userAgent: string | null): Promise<SignedIn | null> {
  const input = parseInput(SignInWithPasswordInput, raw);
  const found = await findCredentials(ctx.db, input.email.trim());
  if (!found || !found.passwordHash || found.user.disabled_at) {
    await verifyAgainstDummy(input.password);
    return null;
  }
  if (!(await verifyPassword(input.password, found.passwordHash))) return null;
  if (needsRehash(found.passwordHash)) await setPasswordHash(ctx.db, found.user.id, await hashPassword(input.password), ctx.clock.now());
  return createSession(ctx, found.user, 'password', userAgent);
}
