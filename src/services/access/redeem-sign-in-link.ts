import { hashToken } from '../../domain/secret-hash.ts';
import { useSignInLink } from '../../storage/session-repository.ts';
import { findUserById } from '../../storage/user-repository.ts';
import type { ServiceContext } from '../context.ts';
import { createSession } from './create-session.ts';
import type { SignedIn } from './session-rules.ts';

/** Uses a link (the path's token, once) and opens a session; null when the link is unknown, used, expired or its account disabled. */
export async function redeemSignInLink(ctx: ServiceContext, token: string, userAgent: string | null): Promise<SignedIn | null> {
  const userId = await useSignInLink(ctx.db, hashToken(token), ctx.clock.now());
  if (!userId) return null;
  const user = await findUserById(ctx.db, userId);
  if (!user) return null;
  return createSession(ctx, user, 'link', userAgent);
}
