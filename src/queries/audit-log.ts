import type { Queryable } from '../storage/database.ts';
import { listAudit } from '../storage/audit-repository.ts';
import { searchAuditLog } from '../storage/audit-search-repository.ts';
import { listUsers } from '../storage/user-repository.ts';
import type { AuditEntry, ResponderUser } from '../domain/model.ts';

/** The console's audit log: entries newest first (by actor and action prefix, before an id), and the accounts to name actors. */
export async function loadAuditLog(
  db: Queryable,
  filter: { actor?: string; actionPrefix?: string; beforeId?: number; limit: number },
): Promise<{ entries: AuditEntry[]; users: ResponderUser[] }> {
  const [users, entries] = await Promise.all([listUsers(db), searchAuditLog(db, filter)]);
  return { entries, users };
}

/** The API's audit log: the newest `limit` entries, by exact actor and action. */
export function listAuditEntries(db: Queryable, filter: { limit: number; actor?: string; action?: string }): ReturnType<typeof listAudit> {
  return listAudit(db, filter);
}
