import type { Queryable } from './database.ts';
import type { ResponderUserRow } from './db-types.generated.ts';
import type { ResponderUser } from '../domain/model.ts';
import type { UserRole } from '../domain/roles.ts';

/** The account without its password hash (which never leaves the services), only whether it has one. */
export function toUser(row: ResponderUserRow): ResponderUser {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    has_password: row.password_hash !== null,
    created_at: row.created_at,
    updated_at: row.updated_at,
    disabled_at: row.disabled_at,
  };
}

export async function insertUser(
  db: Queryable,
  user: { id: string; email: string; name: string | null; role: UserRole; at: Date },
): Promise<ResponderUser | null> {
  const rows = await db.query<ResponderUserRow>(
    `INSERT INTO responder_user (id, email, name, role, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
     ON CONFLICT (lower(email)) DO NOTHING RETURNING *`,
    [user.id, user.email, user.name, user.role, user.at],
  );
  return rows.length > 0 ? toUser(rows[0]) : null;
}

/** True while no console account exists at all (a fresh install). */
export async function noUserExists(db: Queryable): Promise<boolean> {
  const rows = await db.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM responder_user) AS empty');
  return rows[0]?.empty === true;
}

export async function findUserById(db: Queryable, id: string): Promise<ResponderUser | null> {
  const rows = await db.query<ResponderUserRow>('SELECT * FROM responder_user WHERE id = $1', [id]);
  return rows.length > 0 ? toUser(rows[0]) : null;
}

export async function findUserByEmail(db: Queryable, email: string): Promise<ResponderUser | null> {
  const rows = await db.query<ResponderUserRow>('SELECT * FROM responder_user WHERE lower(email) = lower($1)', [email]);
  return rows.length > 0 ? toUser(rows[0]) : null;
}

/** The user and the stored hash, for a password check. */
export async function findCredentials(db: Queryable, email: string): Promise<{ user: ResponderUser; passwordHash: string | null } | null> {
  const rows = await db.query<ResponderUserRow>('SELECT * FROM responder_user WHERE lower(email) = lower($1)', [email]);
  return rows.length > 0 ? { user: toUser(rows[0]), passwordHash: rows[0].password_hash } : null;
}

export async function readPasswordHash(db: Queryable, userId: string): Promise<string | null> {
  const rows = await db.query<Pick<ResponderUserRow, 'password_hash'>>('SELECT password_hash FROM responder_user WHERE id = $1', [userId]);
  return rows[0]?.password_hash ?? null;
}

export async function setPasswordHash(db: Queryable, userId: string, hash: string, at: Date): Promise<void> {
  await db.query('UPDATE responder_user SET password_hash = $2, updated_at = $3 WHERE id = $1', [userId, hash, at]);
}

export async function listUsers(db: Queryable): Promise<ResponderUser[]> {
  const rows = await db.query<ResponderUserRow>('SELECT * FROM responder_user ORDER BY disabled_at IS NOT NULL, lower(email)');
  return rows.map(toUser);
}

export async function disableUser(db: Queryable, id: string, at: Date): Promise<ResponderUser | null> {
  const rows = await db.query<ResponderUserRow>(
    'UPDATE responder_user SET disabled_at = COALESCE(disabled_at, $2), updated_at = $2 WHERE id = $1 RETURNING *',
    [id, at],
  );
  return rows.length > 0 ? toUser(rows[0]) : null;
}

export async function setUserRole(db: Queryable, id: string, role: UserRole, at: Date): Promise<ResponderUser | null> {
  const rows = await db.query<ResponderUserRow>('UPDATE responder_user SET role = $2, updated_at = $3 WHERE id = $1 RETURNING *', [id, role, at]);
  return rows.length > 0 ? toUser(rows[0]) : null;
}

/** Enabled admin accounts, locked for the caller's transaction (so two demotions cannot both leave none). */
export async function lockEnabledAdmins(db: Queryable): Promise<string[]> {
  const rows = await db.query<Pick<ResponderUserRow, 'id'>>(
    "SELECT id FROM responder_user WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE",
  );
  return rows.map((row) => row.id);
}
