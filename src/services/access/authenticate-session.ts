import type { ConsoleSession, ResponderUser } from '../../domain/model.ts';
import { findLiveSession, touchSession } from '../../storage/session-repository.ts';
import type { ServiceContext } from '../context.ts';
import { sessionIdOf, slidingExpiry, TOUCH_EVERY_MS } from './session-rules.ts';

/** The live session behind a cookie token, sliding its idle deadline; null when absent, expired, revoked or disabled. */
export async function authenticateSession(ctx: ServiceContext, token: string): Promise<{ session: ConsoleSession; user: ResponderUser } | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const now = ctx.clock.now();
  const found = await findLiveSession(ctx.db, sessionIdOf(token), now);
  if (!found) return null;
  if (now.getTime() - found.session.last_seen_at.getTime() >= TOUCH_EVERY_MS) {
    const expiresAt = slidingExpiry(found.session.created_at, now);
    await touchSession(ctx.db, found.session.id, now, expiresAt);
    found.session = { ...found.session, last_seen_at: now, expires_at: expiresAt };
  }
  return found;
}
