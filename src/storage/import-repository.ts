import type { ComponentStatus } from '../domain/status.ts';
import type { Queryable } from './database.ts';
import type { ComponentRow, ImportedRecordRow } from './db-types.generated.ts';

export type ImportSource = ImportedRecordRow['source'];
export type ImportedKind = ImportedRecordRow['kind'];

/** What was already brought over: source id → Lifeline id, for the ids asked about. */
export async function findImported(db: Queryable, source: ImportSource, kind: ImportedKind, sourceIds: string[]): Promise<Map<string, string>> {
  if (sourceIds.length === 0) return new Map();
  const rows = await db.query<Pick<ImportedRecordRow, 'source_id' | 'target_id'>>(
    'SELECT source_id, target_id FROM imported_record WHERE source = $1 AND kind = $2 AND source_id = ANY($3)',
    [source, kind, sourceIds],
  );
  return new Map(rows.map((row) => [row.source_id, row.target_id]));
}

/** Every record of one kind: source id → Lifeline id (components and groups, which every batch refers to). */
export async function listImported(db: Queryable, source: ImportSource, kind: ImportedKind): Promise<Map<string, string>> {
  const rows = await db.query<Pick<ImportedRecordRow, 'source_id' | 'target_id'>>(
    'SELECT source_id, target_id FROM imported_record WHERE source = $1 AND kind = $2',
    [source, kind],
  );
  return new Map(rows.map((row) => [row.source_id, row.target_id]));
}

export async function recordImported(
  db: Queryable,
  record: { source: ImportSource; source_page: string; kind: ImportedKind; source_id: string; target_id: string; at: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO imported_record (source, source_page, kind, source_id, target_id, imported_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (source, kind, source_id) DO NOTHING`,
    [record.source, record.source_page, record.kind, record.source_id, record.target_id, record.at],
  );
}

/**
 * The Lifeline ids that these old ids (from any source) became, where they differ: what the
 * Statuspage door reads an id it does not know as.
 */
export async function findAliases(db: Queryable, refs: string[]): Promise<{ kind: ImportedKind; source_id: string; target_id: string }[]> {
  if (refs.length === 0) return [];
  return db.query<Pick<ImportedRecordRow, 'kind' | 'source_id' | 'target_id'>>(
    'SELECT kind, source_id, target_id FROM imported_record WHERE source_id = ANY($1) AND source_id <> target_id',
    [refs],
  );
}

/** Tables whose row ids an import may reuse: one per kind of record, named as the kind (fixed names, never from input). */
type IdTable = ImportedKind;

/** Which of these ids a row of `table` already has. */
export async function idsTaken(db: Queryable, table: IdTable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.query<{ id: string }>(`SELECT id FROM ${table} WHERE id = ANY($1)`, [ids]);
  return new Set(rows.map((row) => row.id));
}

/** History written as it happened elsewhere: rows only; the components' statuses are settled after (settleStatusesOnHistory). */
export async function insertStatusHistory(
  db: Queryable,
  changes: { component_id: string; status: ComponentStatus; changed_at: Date; incident_id: string | null }[],
): Promise<void> {
  if (changes.length === 0) return;
  await db.query(
    `INSERT INTO component_status_change (component_id, status, changed_at, incident_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])`,
    [changes.map((c) => c.component_id), changes.map((c) => c.status), changes.map((c) => c.changed_at.toISOString()), changes.map((c) => c.incident_id)],
  );
}

/**
 * Each component takes the status of its latest history entry, so the status shown and the uptime
 * bars (read from the history) never disagree after history was written out of order.
 */
export async function settleStatusesOnHistory(db: Queryable, componentIds: string[], at: Date): Promise<void> {
  if (componentIds.length === 0) return;
  await db.query(
    `UPDATE component c SET status = latest.status, updated_at = $2
       FROM (SELECT DISTINCT ON (component_id) component_id, status FROM component_status_change
              WHERE component_id = ANY($1) ORDER BY component_id, changed_at DESC, id DESC) latest
      WHERE c.id = latest.component_id AND c.status <> latest.status`,
    [componentIds, at],
  );
}

/**
 * A component the page definition created and nothing has touched since (one `operational` entry,
 * from its creation) takes the history of the one it replaces: its first entry goes, and it counts
 * as existing since `since` when that is earlier.
 */
export async function adoptUntouchedComponent(db: Queryable, componentId: string, since: Date): Promise<boolean> {
  const rows = await db.query<Pick<ComponentRow, 'id'>>(
    `WITH history AS (SELECT id, status, incident_id FROM component_status_change WHERE component_id = $1)
     DELETE FROM component_status_change WHERE id IN (SELECT id FROM history)
        AND (SELECT count(*) FROM history) = 1 AND (SELECT bool_and(status = 'operational' AND incident_id IS NULL) FROM history)
     RETURNING component_id AS id`,
    [componentId],
  );
  if (rows.length === 0) return false;
  await db.query('UPDATE component SET created_at = LEAST(created_at, $2) WHERE id = $1', [componentId, since]);
  return true;
}
