/** Reads for the Statuspage manage-API door (`/v1`): its incident lists, in Statuspage's order. */
import type { Incident } from '../domain/model.ts';
import type { Queryable } from '../storage/database.ts';
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
