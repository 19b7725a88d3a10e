import type { ApiToken } from '../domain/model.ts';
import type { Queryable } from './database.ts';
import type { ApiTokenRow } from './db-types.generated.ts';

/** The token without its hash. */
function toToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    created_by: row.created_by,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  };
}

export async function insertToken(db: Queryable, token: Omit<ApiToken, 'last_used_at' | 'revoked_at'> & { hash: string }): Promise<void> {
  await db.query('INSERT INTO api_token (id, name, prefix, hash, scopes, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    token.id,
    token.name,
    token.prefix,
    token.hash,
    JSON.stringify(token.scopes),
    token.created_by,
    token.created_at,
  ]);
}

export async function findActiveTokenByHash(db: Queryable, hash: string): Promise<ApiToken | null> {
  const rows = await db.query<ApiTokenRow>('SELECT * FROM api_token WHERE hash = $1 AND revoked_at IS NULL', [hash]);
  return rows.length > 0 ? toToken(rows[0]) : null;
}

/** Records use at most once a minute per token, so authentication stays a read on the hot path. */
export async function markTokenUsed(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query("UPDATE api_token SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')", [
    id,
    at,
  ]);
}

export async function listTokens(db: Queryable): Promise<ApiToken[]> {
  const rows = await db.query<ApiTokenRow>('SELECT * FROM api_token ORDER BY created_at DESC, id');
  return rows.map(toToken);
}

/** A token by id or prefix, locked for the caller's transaction (checked, then revoked). */
export async function lockToken(db: Queryable, idOrPrefix: string): Promise<ApiToken | null> {
  const rows = await db.query<ApiTokenRow>('SELECT * FROM api_token WHERE id = $1 OR prefix = $1 FOR UPDATE', [idOrPrefix]);
  return rows.length > 0 ? toToken(rows[0]) : null;
}

export async function revokeToken(db: Queryable, idOrPrefix: string, at: Date): Promise<ApiToken | null> {
  const rows = await db.query<ApiTokenRow>('UPDATE api_token SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 OR prefix = $1 RETURNING *', [
    idOrPrefix,
    at,
  ]);
  return rows.length > 0 ? toToken(rows[0]) : null;
}
