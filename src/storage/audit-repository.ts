import type { AuditEntry } from '../domain/model.ts';
import type { Queryable } from './database.ts';
import type { AuditLogRow } from './db-types.generated.ts';

/** What a change writes to the audit log: the entry without its id, details optional. */
type NewAuditEntry = Omit<AuditEntry, 'id' | 'details'> & { details?: Record<string, unknown> };

export async function insertAudit(db: Queryable, entry: NewAuditEntry): Promise<void> {
  await db.query('INSERT INTO audit_log (at, actor, action, target_type, target_id, details) VALUES ($1, $2, $3, $4, $5, $6)', [
    entry.at,
    entry.actor,
    entry.action,
    entry.target_type,
    entry.target_id,
    JSON.stringify(entry.details ?? {}),
  ]);
}

export async function listAudit(db: Queryable, options: { limit: number; actor?: string; action?: string }): Promise<AuditEntry[]> {
  return db.query<AuditLogRow>(
    `SELECT id, at, actor, action, target_type, target_id, details FROM audit_log
     WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action LIKE $2 || '%')
     ORDER BY id DESC LIMIT $3`,
    [options.actor ?? null, options.action ?? null, options.limit],
  );
}

/** The outbox: events committed with the change they announce, for the notification dispatcher. */
export async function insertOutboxEvent(db: Queryable, event: { type: string; payload: Record<string, unknown>; at: Date }): Promise<void> {
  await db.query('INSERT INTO outbox_event (type, payload, created_at) VALUES ($1, $2, $3)', [event.type, JSON.stringify(event.payload), event.at]);
  await notifyOutbox(db);
}

/** Wakes the outbox dispatcher on commit, so the first notice leaves within a second or two. */
export async function notifyOutbox(db: Queryable): Promise<void> {
  await db.query("SELECT pg_notify('lifeline_outbox', '')");
}
