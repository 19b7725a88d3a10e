import type { Component, ComponentGroup, Maintenance, Page, ResponderIncident } from '../domain/model.ts';
import type { StatusChange } from '../domain/uptime.ts';
import { readConsistently, type Database } from '../storage/database.ts';
import { listRecent, listUnresolved } from '../storage/incident-repository.ts';
import { findPage, listComponents, listGroups, listStatusChanges } from '../storage/page-repository.ts';

export const UPTIME_DAYS = 90;
const RECENT_LIMIT = 50;

/** Everything the public page and the v2 API show, read in one go for the snapshot. */
export interface PublicStatus {
  page: Page;
  groups: ComponentGroup[];
  components: Component[];
  unresolvedIncidents: ResponderIncident[];
  recentIncidents: ResponderIncident[];
  maintenances: Maintenance[];
  statusChanges: Map<string, StatusChange[]>;
  readAt: Date;
}

export async function loadPublicStatus(db: Database, now: Date): Promise<PublicStatus> {
  // One repeatable-read transaction, so the page never mixes two moments.
  return readConsistently(db, async (tx) => {
    const page = await findPage(tx);
    if (!page) throw new Error('the page has not been synced yet');
    // A day more than the bars show: local days start up to 14 hours before UTC ones.
    const since = new Date(now.getTime() - (UPTIME_DAYS + 1) * 86_400_000);
    const groups = await listGroups(tx);
    const components = await listComponents(tx);
    const unresolvedIncidents = await listUnresolved(tx, 'incident');
    const recentIncidents = await listRecent(tx, 'incident', RECENT_LIMIT);
    const recentMaintenances = await listRecent(tx, 'maintenance', RECENT_LIMIT);
    const openMaintenances = await listUnresolved(tx, 'maintenance');
    const maintenances = [...openMaintenances, ...recentMaintenances.filter((m) => !openMaintenances.some((o) => o.id === m.id))];
    const statusChanges = await listStatusChanges(tx, since);
    return { page, groups, components, unresolvedIncidents, recentIncidents, maintenances, statusChanges, readAt: now };
  });
}
