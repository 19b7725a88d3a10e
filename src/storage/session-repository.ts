import type { Queryable } from './database.ts';
import type { ConsoleSessionRow, ResponderUserRow, SignInLinkRow } from './db-types.generated.ts';
import { toUser } from './user-repository.ts';
import type { ConsoleSession, ResponderUser } from '../domain/model.ts';

function toSession(row: ConsoleSessionRow): ConsoleSession {
  return {
    id: row.id,
    user_id: row.user_id,
    created_at: row.created_at,
    last_seen_at: row.last_seen_at,
    expires_at: row.expires_at,
    revoked_at: row.revoked_at,
    method: row.method,
    user_agent: row.user_agent,
  };
}

/** The session's columns renamed `s_<column>`, beside the user's own in one joined row. */
type PrefixedSessionRow = { [Column in keyof ConsoleSessionRow as `s_${Column}`]: ConsoleSessionRow[Column] };

export async function insertSession(db: Queryable, session: Omit<ConsoleSession, 'revoked_at'>): Promise<void> {
  await db.query('INSERT INTO console_session (id, user_id, created_at, last_seen_at, expires_at, method, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    session.id,
    session.user_id,
    session.created_at,
    session.last_seen_at,
    session.expires_at,
    session.method,
    session.user_agent,
  ]);
}

/** A live session (not revoked, not expired at `now`) of an enabled user, with that user; one round trip. */
export async function findLiveSession(db: Queryable, id: string, now: Date): Promise<{ session: ConsoleSession; user: ResponderUser } | null> {
  const rows = await db.query<ResponderUserRow & PrefixedSessionRow>(
    `SELECT u.*, s.id AS s_id, s.user_id AS s_user_id, s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at,
            s.expires_at AS s_expires_at, s.revoked_at AS s_revoked_at, s.method AS s_method, s.user_agent AS s_user_agent
     FROM console_session s JOIN responder_user u ON u.id = s.user_id
     WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.disabled_at IS NULL`,
    [id, now],
  );
  if (rows.length === 0) return null;
  const row = rows[0];
  const session = toSession({
    id: row.s_id,
    user_id: row.s_user_id,
    created_at: row.s_created_at,
    last_seen_at: row.s_last_seen_at,
    expires_at: row.s_expires_at,
    revoked_at: row.s_revoked_at,
    method: row.s_method,
    user_agent: row.s_user_agent,
  });
  return { session, user: toUser(row) };
}

export async function touchSession(db: Queryable, id: string, lastSeenAt: Date, expiresAt: Date): Promise<void> {
  await db.query('UPDATE console_session SET last_seen_at = $2, expires_at = $3 WHERE id = $1 AND revoked_at IS NULL', [id, lastSeenAt, expiresAt]);
}

export async function revokeSession(db: Queryable, id: string, at: Date, userId?: string): Promise<boolean> {
  const rows = await db.query(
    'UPDATE console_session SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL AND ($3::text IS NULL OR user_id = $3) RETURNING id',
    [id, at, userId ?? null],
  );
  return rows.length > 0;
}

export async function revokeUserSessions(db: Queryable, userId: string, at: Date, exceptId?: string): Promise<number> {
  const rows = await db.query(
    'UPDATE console_session SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND ($3::text IS NULL OR id <> $3) RETURNING id',
    [userId, at, exceptId ?? null],
  );
  return rows.length;
}

/** The user's sessions that are still live, newest first. */
export async function listLiveSessions(db: Queryable, userId: string, now: Date): Promise<ConsoleSession[]> {
  const rows = await db.query<ConsoleSessionRow>(
    'SELECT * FROM console_session WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY last_seen_at DESC, id',
    [userId, now],
  );
  return rows.map(toSession);
}

export async function insertSignInLink(db: Queryable, link: { hash: string; user_id: string; created_at: Date; expires_at: Date }): Promise<void> {
  await db.query('INSERT INTO sign_in_link (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
    link.hash,
    link.user_id,
    link.created_at,
    link.expires_at,
  ]);
}

/** The user a link would sign in, if it is unused, unexpired and its user enabled; does not use it. */
export async function peekSignInLink(db: Queryable, hash: string, now: Date): Promise<ResponderUser | null> {
  const rows = await db.query<ResponderUserRow>(
    `SELECT u.* FROM sign_in_link l JOIN responder_user u ON u.id = l.user_id
     WHERE l.hash = $1 AND l.used_at IS NULL AND l.expires_at > $2 AND u.disabled_at IS NULL`,
    [hash, now],
  );
  return rows.length > 0 ? toUser(rows[0]) : null;
}

/** Marks the link used and returns its user: one statement, so two concurrent redemptions cannot both win. */
export async function useSignInLink(db: Queryable, hash: string, now: Date): Promise<string | null> {
  const rows = await db.query<Pick<SignInLinkRow, 'user_id'>>(
    `UPDATE sign_in_link SET used_at = $2 WHERE hash = $1 AND used_at IS NULL AND expires_at > $2
     AND user_id IN (SELECT id FROM responder_user WHERE disabled_at IS NULL) RETURNING user_id`,
    [hash, now],
  );
  return rows[0]?.user_id ?? null;
}

/** Burns every unused link of a user (disabled account, or a new link superseding older ones). */
export async function expireUserLinks(db: Queryable, userId: string, at: Date): Promise<void> {
  await db.query('UPDATE sign_in_link SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL', [userId, at]);
}
