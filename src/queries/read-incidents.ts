import { NotFoundError } from '../domain/errors.ts';
import type { Incident } from '../domain/model.ts';
import { findIncident, listRecent, listStartedBetween, oldestStart } from '../storage/incident-repository.ts';
import type { Database } from '../storage/database.ts';

export async function getIncident(db: Database, id: string, kind: Incident['kind'] = 'incident'): Promise<Incident> {
  const incident = await findIncident(db, id, kind);
  if (!incident) throw new NotFoundError(kind, id);
  return incident;
}

export function listIncidents(db: Database, kind: Incident['kind'], limit: number): Promise<Incident[]> {
  return listRecent(db, kind, limit);
}

/**
 * One page of the incident history: `monthsPerPage` calendar months (UTC), newest first.
 * Page 1 ends with the month of `now`.
 */
export async function loadIncidentHistory(db: Database, now: Date, pageNumber: number, monthsPerPage = 3) {
  const endMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (pageNumber - 1) * monthsPerPage + 1, 1));
  const startMonth = new Date(Date.UTC(endMonth.getUTCFullYear(), endMonth.getUTCMonth() - monthsPerPage, 1));
  const [incidents, oldest] = await Promise.all([listStartedBetween(db, 'incident', startMonth, endMonth), oldestStart(db, 'incident')]);
  const months: { month: Date; incidents: Incident[] }[] = [];
  for (let i = 1; i <= monthsPerPage; i++) {
    const month = new Date(Date.UTC(endMonth.getUTCFullYear(), endMonth.getUTCMonth() - i, 1));
    const next = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1));
    months.push({ month, incidents: incidents.filter((incident) => incident.started_at >= month && incident.started_at < next) });
  }
  return { months, hasOlder: oldest !== null && oldest < startMonth, hasNewer: pageNumber > 1 };
}
