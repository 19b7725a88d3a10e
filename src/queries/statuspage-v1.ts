/** Reads for the Statuspage manage-API door (`/v1`): its incident lists, in Statuspage's order. */
import type { Incident } from '../domain/model.ts';
import type { Queryable } from '../storage/database.ts';
import { findAliases, idsTaken, type ImportedKind } from '../storage/import-repository.ts';
import { listUnresolved, searchIncidents } from '../storage/incident-repository.ts';

/** `GET /pages/{id}/incidents`: incidents and maintenances, newest first, `limit` per page (1-based). */
export function listIncidentsPage(db: Queryable, options: { search?: string; limit: number; page: number }): Promise<Incident[]> {
  return searchIncidents(db, { search: options.search, limit: options.limit, offset: (options.page - 1) * options.limit });
}

/** Open incidents (not maintenances), newest first. */
export function listUnresolvedIncidents(db: Queryable): Promise<Incident[]> {
  return listUnresolved(db, 'incident');
}

/**
 * Maintenances not yet completed, by which list asks: `upcoming` (scheduled, soonest first),
 * `active` (in progress or verifying), `scheduled` (both).
 */
export async function listOpenMaintenances(db: Queryable, which: 'upcoming' | 'active' | 'scheduled'): Promise<Incident[]> {
  const open = await listUnresolved(db, 'maintenance');
  const chosen = open.filter((m) =>
    which === 'upcoming' ? m.status === 'scheduled' : which === 'active' ? m.status === 'in_progress' || m.status === 'verifying' : true,
  );
  return chosen.sort((a, b) => Number(a.scheduled_for) - Number(b.scheduled_for));
}

/**
 * The rows that old ids became when the page was moved over (`lifeline import statuspage`), for
 * the ids a request carries: `kind` and old id → Lifeline id. Ids that were kept as they were, and
 * ids nobody imported, are not in it.
 */
export async function findMovedIds(db: Queryable, refs: string[]): Promise<Map<string, string>> {
  const aliases = await findAliases(db, [...new Set(refs)]);
  const moved = new Map<string, string>();
  for (const kind of new Set(aliases.map((alias) => alias.kind))) {
    const ofKind = aliases.filter((alias) => alias.kind === kind);
    // A Lifeline row's own id always wins: an old id never hides a row that has it.
    const own = await idsTaken(
      db,
      kind,
      ofKind.map((alias) => alias.source_id),
    );
    for (const alias of ofKind) if (!own.has(alias.source_id)) moved.set(movedIdKey(kind, alias.source_id), alias.target_id);
  }
  return moved;
}

/** How `findMovedIds` keys its answer. */
export const movedIdKey = (kind: ImportedKind, oldId: string) => `${kind}:${oldId}`;
