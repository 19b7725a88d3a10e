import type { Queryable } from './database.ts';

/**
 * Every advisory lock id the app uses, in one place so two never collide. Each is taken with
 * pg_advisory_xact_lock: held until the transaction ends, shared by all instances on one server.
 */
const LOCKS = {
  /** Concurrent start-ups apply migrations one at a time. */
  migrations: 4_242_001,
  /** The page-definition sync and console/API structure edits never interleave. */
  pageStructure: 4_242_002,
  /** The alert-recipient sync at start (several instances starting together). */
  alertRecipients: 4_242_003,
} as const;

async function lockForTransaction(tx: Queryable, id: number): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [id]);
}

export const lockMigrations = (tx: Queryable) => lockForTransaction(tx, LOCKS.migrations);
export const lockPageStructure = (tx: Queryable) => lockForTransaction(tx, LOCKS.pageStructure);
export const lockAlertRecipients = (tx: Queryable) => lockForTransaction(tx, LOCKS.alertRecipients);
