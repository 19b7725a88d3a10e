import type { Queryable } from './database.ts';
import type { ChatMessageRow } from './db-types.generated.ts';

/** The Discord message first posted about an incident to a subscriber (the one kept current), if any. */
export async function findChatMessage(db: Queryable, incidentId: string, subscriberId: string): Promise<string | null> {
  const rows = await db.query<Pick<ChatMessageRow, 'message_id'>>('SELECT message_id FROM chat_message WHERE incident_id = $1 AND subscriber_id = $2', [
    incidentId,
    subscriberId,
  ]);
  return rows[0]?.message_id ?? null;
}

/** Keeps the first message's id; a later one (two notices sent at once) leaves the first in place. */
export async function rememberChatMessage(db: Queryable, m: { incidentId: string; subscriberId: string; messageId: string; at: Date }): Promise<void> {
  await db.query(
    'INSERT INTO chat_message (incident_id, subscriber_id, message_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (incident_id, subscriber_id) DO NOTHING',
    [m.incidentId, m.subscriberId, m.messageId, m.at],
  );
}
