import { hashToken } from './secret-hash.ts';
import { verifyAgainstDummy, verifyPassword, hashPassword, needsRehash } from '../../domain/password.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import type { Queryable } from '../../storage/database.ts';
import {
  expireUserLinks, findLiveSession, insertSession, insertSignInLink, listLiveSessions, peekSignInLink as peekLinkRow, revokeSession as revokeSessionRow,
  touchSession, useSignInLink,
} from '../../storage/session-repository.ts';
import { findCredentials, findUserById, findUserByEmail, noUserExists, setPasswordHash } from '../../storage/user-repository.ts';
import type { ConsoleSession, ResponderUser } from '../../domain/model.ts';
import type { ServiceContext } from '../context.ts';

/**
 * Session lifetimes. A session ends after 12 hours without use (an on-call shift; a laptop left
 * open overnight is signed out) and 7 days after sign-in whatever happens (a stolen cookie is not
 * good forever). Each use slides the idle deadline, recorded at most once a minute so that
 * browsing the console stays a read.
 */
export const SESSION_IDLE_MS = 12 * 3600_000;
export const SESSION_MAX_MS = 7 * 86_400_000;
const TOUCH_EVERY_MS = 60_000;
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

const newToken = (ctx: ServiceContext) => ctx.ids.bytes(32).toString('base64url');

function sessionIdOf(token: string): string {
  return hashToken(token);
}

function slidingExpiry(createdAt: Date, now: Date): Date {
  return new Date(Math.min(now.getTime() + SESSION_IDLE_MS, createdAt.getTime() + SESSION_MAX_MS));
}

/** True on a fresh install, before the first console account is created (with the CLI). */
export function awaitsFirstAccount(ctx: Omit<ServiceContext, 'actor'>): Promise<boolean> {
  return noUserExists(ctx.db);
}

/** Opens a session for the user; returns the token for the cookie. */
export async function createSession(ctx: ServiceContext, user: ResponderUser, method: ConsoleSession['method'], userAgent: string | null): Promise<SignedIn> {
  const token = newToken(ctx);
  const at = ctx.clock.now();
  const session: ConsoleSession = {
    id: sessionIdOf(token), user_id: user.id, created_at: at, last_seen_at: at, expires_at: slidingExpiry(at, at), revoked_at: null, method,
    user_agent: userAgent ? userAgent.slice(0, 300) : null,
  };
  await ctx.db.transaction(async (tx) => {
    await insertSession(tx, session);
    await insertAudit(tx, { actor: `user:${user.email}`, action: 'user.signed_in', target_type: 'responder_user', target_id: user.id, details: { method }, at });
  });
  return { user, token, session };
}

/**
 * Password sign-in. Null for every kind of failure (unknown address, no password, disabled
 * account, wrong password), after the same amount of work, so the answer does not reveal which.
 */
export async function signInWithPassword(ctx: ServiceContext, input: { email: string; password: string; userAgent: string | null }): Promise<SignedIn | null> {
  const found = await findCredentials(ctx.db, input.email.trim());
  if (!found || !found.passwordHash || found.user.disabled_at) {
    await verifyAgainstDummy(input.password);
    return null;
  }
  if (!(await verifyPassword(input.password, found.passwordHash))) return null;
  if (needsRehash(found.passwordHash)) await setPasswordHash(ctx.db, found.user.id, await hashPassword(input.password), ctx.clock.now());
  return createSession(ctx, found.user, 'password', input.userAgent);
}

/** A one-time link for the user, valid 15 minutes. `db` lets a caller issue it inside its transaction. */
export async function issueSignInLink(ctx: ServiceContext, userId: string, db: Queryable = ctx.db): Promise<IssuedLink> {
  const token = newToken(ctx);
  const at = ctx.clock.now();
  const expiresAt = new Date(at.getTime() + SIGN_IN_LINK_TTL_MS);
  await insertSignInLink(db, { hash: hashToken(token), user_id: userId, created_at: at, expires_at: expiresAt });
  return { token, expiresAt };
}

/**
 * "Email me a sign-in link": a link for an enabled account, null for an unknown or disabled one.
 * Callers answer the same either way. Older unused links of the account stop working.
 */
export async function requestSignInLink(ctx: ServiceContext, email: string): Promise<{ user: ResponderUser; link: IssuedLink } | null> {
  const user = await findUserByEmail(ctx.db, email.trim());
  if (!user || user.disabled_at) return null;
  return ctx.db.transaction(async (tx) => {
    await expireUserLinks(tx, user.id, ctx.clock.now());
    return { user, link: await issueSignInLink(ctx, user.id, tx) };
  });
}

/** The account a link would sign in (without using it), or null if it is unknown, used or expired. */
export function peekSignInLink(ctx: ServiceContext, token: string): Promise<ResponderUser | null> {
  return peekLinkRow(ctx.db, hashToken(token), ctx.clock.now());
}

/** Uses a link (once) and opens a session; null when the link is unknown, used, expired or its account disabled. */
export async function redeemSignInLink(ctx: ServiceContext, token: string, userAgent: string | null): Promise<SignedIn | null> {
  const userId = await useSignInLink(ctx.db, hashToken(token), ctx.clock.now());
  if (!userId) return null;
  const user = await findUserById(ctx.db, userId);
  if (!user) return null;
  return createSession(ctx, user, 'link', userAgent);
}

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

/** True when this session came from a sign-in link used moments ago (may set a password without the old one). */
export function mayResetPassword(session: ConsoleSession, now: Date): boolean {
  return session.method === 'link' && now.getTime() - session.created_at.getTime() < LINK_RESET_WINDOW_MS;
}

/** Ends a session; with `userId`, only if it belongs to that user (revoking one's own sessions). */
export async function revokeSession(ctx: ServiceContext, sessionId: string, userId?: string): Promise<boolean> {
  const at = ctx.clock.now();
  const revoked = await revokeSessionRow(ctx.db, sessionId, at, userId);
  if (revoked) await insertAudit(ctx.db, { actor: ctx.actor.label, action: 'session.revoked', target_type: 'console_session', target_id: sessionId.slice(0, 12), at });
  return revoked;
}

export function listSessions(ctx: ServiceContext, userId: string): Promise<ConsoleSession[]> {
  return listLiveSessions(ctx.db, userId, ctx.clock.now());
}
