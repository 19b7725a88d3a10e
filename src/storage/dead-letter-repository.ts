import type { DeadLetterGroup } from '../domain/model.ts';
import type { Queryable } from './database.ts';
import type { DeliveryRow, IncidentRow, OutboxEventRow } from './db-types.generated.ts';

type DeadLetterGroupRow = Pick<DeliveryRow, 'event_id'> & {
  event_type: OutboxEventRow['type'];
  event_created_at: OutboxEventRow['created_at'];
  incident_id: string | null;
  incident_name: IncidentRow['name'] | null;
  dead: number;
};

/**
 * Dead letters grouped by the notice they belong to, the most recently dead-lettered first (the
 * partial index on dead rows keeps this small however many deliveries were sent).
 */
export async function summarizeDeadLetters(db: Queryable, limit: number): Promise<DeadLetterGroup[]> {
  return db.query<DeadLetterGroupRow>(
    `SELECT g.event_id, e.type AS event_type, e.created_at AS event_created_at, e.payload->>'incident_id' AS incident_id, i.name AS incident_name, g.dead
     FROM (SELECT event_id, count(*)::int AS dead, max(id) AS newest FROM delivery WHERE state = 'dead' GROUP BY event_id) g
     JOIN outbox_event e ON e.id = g.event_id
     LEFT JOIN incident i ON i.id = e.payload->>'incident_id'
     ORDER BY g.newest DESC LIMIT $1`,
    [limit],
  );
}
