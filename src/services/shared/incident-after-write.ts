import type { Component, Incident } from '../../domain/model.ts';
import type { Queryable } from '../../storage/database.ts';
import { findIncident } from '../../storage/incident-repository.ts';
import { listComponents } from '../../storage/page-repository.ts';

/** An incident as a write committed it, with its components at the statuses that write left them in. */
export type IncidentAfterWrite = Incident & { components: Component[] };

/**
 * Reads the incident back inside the write's own transaction, so the write answers with the state
 * it committed (component statuses included), never what was there before it.
 */
export async function readIncidentAfterWrite(tx: Queryable, id: string): Promise<IncidentAfterWrite> {
  const incident = await findIncident(tx, id);
  if (!incident) throw new Error(`incident ${id} vanished inside its own write`);
  // The page's component order, as the read endpoints list them.
  const components = (await listComponents(tx)).filter((c) => incident.component_ids.includes(c.id));
  return { ...incident, components };
}
