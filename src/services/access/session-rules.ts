import type { ConsoleSession, ResponderUser } from '../../domain/model.ts';
import { hashToken } from '../../domain/secret-hash.ts';
import type { ServiceContext } from '../context.ts';

/**
 * Session lifetimes. A session ends after 12 hours without use (an on-call shift; a laptop left
 * open overnight is signed out) and 7 days after sign-in whatever happens (a stolen cookie is not
 * good forever). Each use slides the idle deadline, recorded at most once a minute so that
 * browsing the console stays a read.
 */
export const SESSION_IDLE_MS = 12 * 3600_000;
export const SESSION_MAX_MS = 7 * 86_400_000;
export const TOUCH_EVERY_MS = 60_000;
/** One-time sign-in links: short-lived and single use. */
export const SIGN_IN_LINK_TTL_MS = 15 * 60_000;
/** After a link sign-in, this long to set a new password without typing the old one (forgotten password). */
const LINK_RESET_WINDOW_MS = 15 * 60_000;

export interface IssuedLink {
  token: string;
  expiresAt: Date;
}

export interface SignedIn {
  user: ResponderUser;
  /** The cookie value; only its hash is stored. */
  token: string;
  session: ConsoleSession;
}

/** A fresh secret for a cookie or a sign-in link: 32 random bytes. */
export const newSecret = (ctx: Pick<ServiceContext, 'ids'>) => ctx.ids.bytes(32).toString('base64url');

/** A session's id is the hash of its cookie token: the database never holds a usable cookie. */
export const sessionIdOf = (token: string): string => hashToken(token);

/** The idle deadline from `now`, never past the session's hard limit. */
export function slidingExpiry(createdAt: Date, now: Date): Date {
  return new Date(Math.min(now.getTime() + SESSION_IDLE_MS, createdAt.getTime() + SESSION_MAX_MS));
}

/** True when this session came from a sign-in link used moments ago (may set a password without the old one). */
export function mayResetPassword(session: ConsoleSession, now: Date): boolean {
  return session.method === 'link' && now.getTime() - session.created_at.getTime() < LINK_RESET_WINDOW_MS;
}
