import type { Incident, IncidentOfKind, Maintenance, ResponderIncident } from '../domain/model.ts';
import type { Queryable } from '../storage/database.ts';
import { findIncident as findIncidentRow, listRecent, listUnresolved } from '../storage/incident-repository.ts';

/** One incident or maintenance with its timeline and components; `kind` narrows it to one of the two. */
export function findIncident<K extends Incident['kind']>(db: Queryable, id: string, kind: K): Promise<IncidentOfKind<K> | null>;
export function findIncident(db: Queryable, id: string): Promise<Incident | null>;
export function findIncident(db: Queryable, id: string, kind?: Incident['kind']): Promise<Incident | null> {
  return kind ? findIncidentRow(db, id, kind) : findIncidentRow(db, id);
}

/** What the console dashboard lists: open incidents, unfinished maintenances and the latest incidents. */
export async function loadConsoleDashboard(
  db: Queryable,
  recentCount: number,
): Promise<{ open: ResponderIncident[]; maintenances: Maintenance[]; recent: ResponderIncident[] }> {
  const [open, maintenances, recent] = await Promise.all([
    listUnresolved(db, 'incident'),
    listUnresolved(db, 'maintenance'),
    listRecent(db, 'incident', recentCount),
  ]);
  return { open, maintenances, recent };
}
