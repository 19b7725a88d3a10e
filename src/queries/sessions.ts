import type { ConsoleSession, ResponderUser } from '../domain/model.ts';
import { hashToken } from '../domain/secret-hash.ts';
import type { Queryable } from '../storage/database.ts';
import { listLiveSessions, peekSignInLink as peekLinkRow } from '../storage/session-repository.ts';

/** A user's sessions that are still live at `now` (the account page). */
export function listSessions(db: Queryable, userId: string, now: Date): Promise<ConsoleSession[]> {
  return listLiveSessions(db, userId, now);
}

/** The account a sign-in link would sign in (without using it), or null if it is unknown, used or expired at `now`. */
export function peekSignInLink(db: Queryable, token: string, now: Date): Promise<ResponderUser | null> {
  return peekLinkRow(db, hashToken(token), now);
}
