import type { Queryable } from '../storage/database.ts';
import { summarizeDeadLetters } from '../storage/dead-letter-repository.ts';
import { deliveryProgressForIncident, listDeadDeliveries } from '../storage/delivery-repository.ts';
import { incidentDeliveryCounts } from '../storage/incident-event-repository.ts';
import type { DeadLetterGroup, DeliveryProgress, EventChannelCounts, IncidentEvent } from '../domain/model.ts';

/** The incident's notification events and their deliveries counted per channel and state (the incident page's "reach"). */
export function loadIncidentDeliveryCounts(db: Queryable, incidentId: string): Promise<{ events: IncidentEvent[]; counts: EventChannelCounts[] }> {
  return incidentDeliveryCounts(db, incidentId);
}

/** The dead letters: per notice (newest first, `groupLimit` of them) and the newest `limit` deliveries, of one event or all. */
export async function loadDeadLetters(
  db: Queryable,
  options: { groupLimit: number; limit: number; eventId?: number },
): Promise<{ groups: DeadLetterGroup[]; deliveries: Awaited<ReturnType<typeof listDeadDeliveries>> }> {
  const [groups, deliveries] = await Promise.all([
    summarizeDeadLetters(db, options.groupLimit),
    listDeadDeliveries(db, { limit: options.limit, eventId: options.eventId }),
  ]);
  return { groups, deliveries };
}

/** The API's per-notice delivery progress of an incident: counts per event, channel and state. */
export function loadIncidentDeliveryProgress(db: Queryable, incidentId: string): Promise<DeliveryProgress[]> {
  return deliveryProgressForIncident(db, incidentId);
}

/** The newest dead-lettered deliveries, of one event or all. */
export function listDeadLetters(db: Queryable, options: { limit: number; eventId?: number }): ReturnType<typeof listDeadDeliveries> {
  return listDeadDeliveries(db, options);
}
