import type { EventChannelCounts, IncidentEvent } from '../domain/model.ts';
import type { Queryable } from './database.ts';
import type { DeliveryRow, OutboxEventRow } from './db-types.generated.ts';

/** An event, and one (channel, state) count of its deliveries; the count's columns are null for an event with none. */
type EventCountRow = Pick<OutboxEventRow, 'id' | 'type' | 'created_at' | 'dispatched_at'> & {
  update_id: string | null;
  channel: DeliveryRow['channel'] | null;
  state: DeliveryRow['state'] | null;
  n: number | null;
};

/**
 * The incident's events with their delivery counts per channel. Counted per event from the
 * (event_id, channel, state) index before anything is joined, so a notice to 100,000 subscribers
 * costs an index-only scan, not a sort of its rows (the console polls this while notices go out).
 */
export async function incidentDeliveryCounts(db: Queryable, incidentId: string): Promise<{ events: IncidentEvent[]; counts: EventChannelCounts[] }> {
  const rows = await db.query<EventCountRow>(
    `SELECT e.id, e.type, e.payload->>'update_id' AS update_id, e.created_at, e.dispatched_at, c.channel, c.state, c.n
     FROM outbox_event e
     LEFT JOIN LATERAL (SELECT channel, state, count(*)::int AS n FROM delivery WHERE event_id = e.id GROUP BY channel, state) c ON true
     WHERE e.payload->>'incident_id' = $1
     ORDER BY e.id, c.channel`,
    [incidentId],
  );
  const events = new Map<number, IncidentEvent>();
  const counts = new Map<string, EventChannelCounts>();
  for (const row of rows) {
    const { id, update_id: updateId, channel } = row;
    if (!events.has(id)) events.set(id, { id, type: row.type, update_id: updateId, created_at: row.created_at, dispatched_at: row.dispatched_at });
    if (channel === null) continue;
    const key = `${id}|${channel}`;
    let entry = counts.get(key);
    if (!entry) counts.set(key, (entry = { event_id: id, update_id: updateId, channel, targeted: 0, sent: 0, failed: 0, pending: 0 }));
    const n = row.n ?? 0;
    entry.targeted += n;
    if (row.state === 'sent') entry.sent += n;
    else if (row.state === 'dead') entry.failed += n;
    else entry.pending += n;
  }
  return { events: [...events.values()], counts: [...counts.values()] };
}
