import type { AuditEntry } from '../domain/model.ts';
import type { Queryable } from './database.ts';
import type { AuditLogRow } from './db-types.generated.ts';

/**
 * One page of the audit log, newest first, continuing below `beforeId` (keyset, so a page deep in
 * a long log costs the same as the first). `actor` matches exactly, or as a user's email or a
 * token's name (`ana@example.com` finds `user:ana@example.com`); `actionPrefix` is a plain prefix
 * (`subscriber.` finds every subscriber change; no wildcards).
 */
export async function searchAuditLog(
  db: Queryable,
  options: { actor?: string; actionPrefix?: string; beforeId?: number; limit: number },
): Promise<AuditEntry[]> {
  return db.query<AuditLogRow>(
    `SELECT id, at, actor, action, target_type, target_id, details FROM audit_log
     WHERE ($1::text IS NULL OR actor = $1 OR actor = 'user:' || $1 OR actor = 'token:' || $1)
       AND ($2::text IS NULL OR starts_with(action, $2))
       AND ($3::bigint IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4`,
    [options.actor ?? null, options.actionPrefix ?? null, options.beforeId ?? null, options.limit],
  );
}
