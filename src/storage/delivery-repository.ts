import type { Delivery, DeliveryProgress, OutboxEvent, Subscriber } from '../domain/model.ts';
import type { Queryable } from './database.ts';
import type { DeliveryRow, OutboxEventRow, SubscriberRow } from './db-types.generated.ts';

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    event_id: row.event_id,
    subscriber_id: row.subscriber_id,
    channel: row.channel,
    state: row.state,
    attempts: row.attempts,
    next_attempt_at: row.next_attempt_at,
    sent_at: row.sent_at,
    last_error: row.last_error,
    created_at: row.created_at,
  };
}

/**
 * Takes the next undispatched event, locked against other dispatchers (NO KEY UPDATE: delivery
 * rows referencing it can still be inserted by this transaction's chunk without a lock conflict).
 * Responder alerts and personal messages (a few recipients each, and urgent) go before the oldest
 * public notice, so an on-call page never waits behind a 100,000-subscriber fan-out.
 */
export async function claimNextUndispatchedEvent(db: Queryable): Promise<(OutboxEvent & { expanded_through: string | null }) | null> {
  const rows = await db.query<Pick<OutboxEventRow, 'id' | 'type' | 'payload' | 'created_at' | 'expanded_through'>>(
    `SELECT id, type, payload, created_at, expanded_through FROM outbox_event WHERE dispatched_at IS NULL
     ORDER BY (type LIKE 'heartbeat.%' OR type LIKE 'subscriber.%') DESC, id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED`,
  );
  if (rows.length === 0) return null;
  const { id, type, payload, created_at, expanded_through } = rows[0];
  return { id, type, payload, created_at, expanded_through };
}

/** Whether some of the event's webhooks are unsent or being sent for the first time (a retry later does not count). */
export async function hasWebhooksOnFirstTry(db: Queryable, eventId: number): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM delivery WHERE event_id = $1 AND channel = 'webhook' AND (state = 'sending' OR (state = 'pending' AND attempts = 0)) LIMIT 1`,
    [eventId],
  );
  return rows.length > 0;
}

export async function markEventDispatched(db: Queryable, id: number, at: Date): Promise<void> {
  await db.query('UPDATE outbox_event SET dispatched_at = $2 WHERE id = $1', [id, at]);
}

/** How far an event's expansion got (the dispatcher's cursor: phase and last subscriber id). */
export async function markEventExpandedThrough(db: Queryable, id: number, cursor: string): Promise<void> {
  await db.query('UPDATE outbox_event SET expanded_through = $2 WHERE id = $1', [id, cursor]);
}

/**
 * Creates pending deliveries for the next `limit` matching subscribers after `after` (by id),
 * one per subscriber and channel: confirmed, not suppressed, disabled or unsubscribed, and
 * subscribed to one of the affected components. An event that names no component concerns
 * everybody (better to over-inform during an outage than to leave someone guessing). With
 * `alertMetric`, the audience is the responders alerted for that heartbeat metric instead.
 * Returns how many subscribers the chunk covered and the last one, to continue from.
 */
export async function insertDeliveryChunk(
  db: Queryable,
  event: { id: number; componentIds: string[]; onlySubscriberId?: string; channel?: 'email'; alertMetric?: string; subscriberType?: Subscriber['type'] },
  chunk: { after: string | null; limit: number },
  at: Date,
): Promise<{ covered: number; lastId: string | null; created: number }> {
  const rows = await db.query<{ covered: number; last_id: string | null; created: number }>(
    `WITH chosen AS (
       SELECT s.id, COALESCE($5::text, s.type) AS channel FROM subscriber s
       WHERE (($4::text IS NOT NULL AND s.id = $4)
          OR ($4::text IS NULL AND s.confirmed_at IS NOT NULL AND s.suppressed_at IS NULL AND s.disabled_at IS NULL AND s.unsubscribed_at IS NULL
              AND (($8::text IS NULL AND s.audience = 'public' AND (s.all_components OR cardinality($3::text[]) = 0 OR s.component_ids ?| $3::text[]))
                OR ($8::text IS NOT NULL AND s.audience = 'responder' AND s.alert_metrics ? $8::text))))
         AND ($6::text IS NULL OR s.id > $6) AND ($9::text IS NULL OR s.type = $9)
       ORDER BY s.id LIMIT $7),
     created AS (
       INSERT INTO delivery (event_id, subscriber_id, channel, next_attempt_at, created_at)
       SELECT $1, id, channel, $2, $2 FROM chosen
       ON CONFLICT (event_id, subscriber_id, channel) DO NOTHING
       RETURNING 1)
     SELECT (SELECT count(*) FROM chosen)::int AS covered, (SELECT max(id) FROM chosen) AS last_id, (SELECT count(*) FROM created)::int AS created`,
    [
      event.id,
      at,
      event.componentIds,
      event.onlySubscriberId ?? null,
      event.channel ?? null,
      chunk.after,
      chunk.limit,
      event.alertMetric ?? null,
      event.subscriberType ?? null,
    ],
  );
  return { covered: rows[0].covered, lastId: rows[0].last_id, created: rows[0].created };
}

/**
 * Pending deliveries that are due and not published recently, marked as published now: the
 * dispatcher's first publish, retries, and anything a lost queue message left behind.
 */
export async function takeDueForPublishing(db: Queryable, now: Date, republishBefore: Date, limit: number): Promise<{ id: number; channel: string }[]> {
  const rows = await db.query<Pick<DeliveryRow, 'id' | 'channel'>>(
    `UPDATE delivery SET published_at = $1 WHERE id IN (
       SELECT id FROM delivery WHERE state = 'pending' AND next_attempt_at <= $1 AND (published_at IS NULL OR published_at < $2)
       ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING id, channel`,
    [now, republishBefore, limit],
  );
  return rows.map((row) => ({ id: row.id, channel: row.channel })).sort((a, b) => a.id - b.id);
}

/** Claims deliveries for sending: only due, pending ones; a redelivered batch claims nothing. */
export async function claimDeliveries(db: Queryable, ids: number[], now: Date): Promise<Delivery[]> {
  const rows = await db.query<DeliveryRow>(
    `UPDATE delivery SET state = 'sending', claimed_at = $2, attempts = attempts + 1
     WHERE id = ANY($1) AND state = 'pending' AND next_attempt_at <= $2 RETURNING *`,
    [ids, now],
    { prepare: true },
  );
  return rows.map(toDelivery);
}

/** Records sends the receivers accepted, several in one statement (each with its own time). */
export async function markSent(db: Queryable, sent: ReadonlyArray<{ id: number; at: Date }>): Promise<void> {
  if (sent.length === 0) return;
  await db.query(
    `UPDATE delivery AS d SET state = 'sent', sent_at = s.at, last_error = NULL
     FROM unnest($1::bigint[], $2::timestamptz[]) AS s(id, at) WHERE d.id = s.id AND d.state = 'sending'`,
    [sent.map((s) => s.id), sent.map((s) => s.at)],
    { prepare: true },
  );
}

export async function markRetry(db: Queryable, id: number, nextAttemptAt: Date, error: string): Promise<void> {
  await db.query(
    "UPDATE delivery SET state = 'pending', next_attempt_at = $2, published_at = NULL, last_error = $3 WHERE id = $1 AND state = 'sending'",
    [id, nextAttemptAt, error],
    { prepare: true },
  );
}

export async function markDead(db: Queryable, id: number, error: string): Promise<void> {
  await db.query("UPDATE delivery SET state = 'dead', last_error = $2 WHERE id = $1 AND state = 'sending'", [id, error], { prepare: true });
}

/** A live worker extends its claims, so a slow batch is never mistaken for a dead worker's. */
export async function renewClaims(db: Queryable, ids: number[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.query("UPDATE delivery SET claimed_at = $2 WHERE id = ANY($1) AND state = 'sending'", [ids, at], { prepare: true });
}

/** Deliveries claimed by a worker that died: back to pending after the lease. */
export async function releaseStaleClaims(db: Queryable, claimedBefore: Date): Promise<number> {
  const rows = await db.query("UPDATE delivery SET state = 'pending', published_at = NULL WHERE state = 'sending' AND claimed_at < $1 RETURNING id", [
    claimedBefore,
  ]);
  return rows.length;
}

/** Every claim, back to pending: on embedded PGlite at start, when any claim is a dead process's. */
export async function releaseAllClaims(db: Queryable): Promise<number> {
  const rows = await db.query("UPDATE delivery SET state = 'pending', published_at = NULL WHERE state = 'sending' RETURNING id");
  return rows.length;
}

/** Every pending delivery counts as never published (the embedded queue, in memory, lost them at the restart). */
export async function forgetPublished(db: Queryable): Promise<void> {
  await db.query("UPDATE delivery SET published_at = NULL WHERE state = 'pending' AND published_at IS NOT NULL");
}

/** Pending deliveries of a subscriber that can no longer receive anything are dead-lettered at once. */
export async function killPendingForSubscriber(db: Queryable, subscriberId: string, reason: string): Promise<void> {
  await db.query("UPDATE delivery SET state = 'dead', last_error = $2 WHERE subscriber_id = $1 AND state = 'pending'", [subscriberId, reason]);
}

/**
 * Nothing more is sent about a deleted incident: its events not yet fanned out are closed as they
 * are, and its pending deliveries are dead-lettered with `reason`. What was sent stays recorded.
 */
export async function withdrawIncidentNotices(db: Queryable, incidentId: string, reason: string, at: Date): Promise<void> {
  await db.query("UPDATE outbox_event SET dispatched_at = $2 WHERE payload->>'incident_id' = $1 AND dispatched_at IS NULL", [incidentId, at]);
  await db.query(
    `UPDATE delivery SET state = 'dead', last_error = $2
     WHERE state = 'pending' AND event_id IN (SELECT id FROM outbox_event WHERE payload->>'incident_id' = $1)`,
    [incidentId, reason],
  );
}

export async function loadEvents(db: Queryable, ids: number[]): Promise<Map<number, OutboxEvent>> {
  const rows = await db.query<Pick<OutboxEventRow, 'id' | 'type' | 'payload' | 'created_at'>>(
    'SELECT id, type, payload, created_at FROM outbox_event WHERE id = ANY($1)',
    [ids],
    { prepare: true },
  );
  return new Map(rows.map(({ id, type, payload, created_at }) => [id, { id, type, payload, created_at }]));
}

type DeliveryProgressRow = Pick<DeliveryRow, 'event_id' | 'channel'> &
  Pick<OutboxEventRow, 'created_at'> & {
    event_type: OutboxEventRow['type'];
    update_id: string | null;
    targeted: number;
    sent: number;
    failed: number;
    pending: number;
  };

/** Per event and channel: recipients targeted, sent, failed (dead-lettered), pending (incl. retrying). */
export async function deliveryProgressForIncident(db: Queryable, incidentId: string): Promise<DeliveryProgress[]> {
  return db.query<DeliveryProgressRow>(
    `SELECT e.id AS event_id, e.type AS event_type, e.payload->>'update_id' AS update_id, e.created_at, c.channel,
            c.targeted, c.sent, c.failed, c.pending
     FROM outbox_event e
     -- Counted per event from the (event, channel, state) index, not by grouping on the event's payload.
     JOIN LATERAL (
       SELECT channel, count(*)::int AS targeted,
              count(*) FILTER (WHERE state = 'sent')::int AS sent,
              count(*) FILTER (WHERE state = 'dead')::int AS failed,
              count(*) FILTER (WHERE state IN ('pending', 'sending'))::int AS pending
       FROM delivery WHERE event_id = e.id GROUP BY channel) c ON true
     WHERE e.payload->>'incident_id' = $1
     ORDER BY e.id, c.channel`,
    [incidentId],
  );
}

export async function listDeadDeliveries(
  db: Queryable,
  options: { limit: number; eventId?: number },
): Promise<(Delivery & { recipient: string | null; event_type: string })[]> {
  const rows = await db.query<DeliveryRow & { recipient: SubscriberRow['email']; event_type: OutboxEventRow['type'] }>(
    // The address the delivery went to: a chat or webhook subscriber's `email` is its owner's, not the recipient.
    `SELECT d.*, CASE WHEN s.type = 'email' THEN s.email ELSE s.url END AS recipient, e.type AS event_type FROM delivery d
     JOIN subscriber s ON s.id = d.subscriber_id JOIN outbox_event e ON e.id = d.event_id
     WHERE d.state = 'dead' AND ($1::bigint IS NULL OR d.event_id = $1) ORDER BY d.id DESC LIMIT $2`,
    [options.eventId ?? null, options.limit],
  );
  return rows.map((row) => ({ ...toDelivery(row), recipient: row.recipient, event_type: row.event_type }));
}

/** Dead letters back to pending, now. Returns the ids replayed. */
export async function replayDeadDeliveries(db: Queryable, filter: { ids?: number[]; eventId?: number }, now: Date): Promise<number[]> {
  const rows = await db.query<Pick<DeliveryRow, 'id'>>(
    `UPDATE delivery SET state = 'pending', next_attempt_at = $1, published_at = NULL, attempts = 0
     WHERE state = 'dead' AND (($2::bigint[] IS NOT NULL AND id = ANY($2)) OR ($3::bigint IS NOT NULL AND event_id = $3))
       -- nothing more is sent about a deleted incident
       AND NOT EXISTS (SELECT 1 FROM outbox_event e JOIN incident i ON i.id = e.payload->>'incident_id'
                       WHERE e.id = delivery.event_id AND i.deleted_at IS NOT NULL)
     RETURNING id`,
    [now, filter.ids ?? null, filter.eventId ?? null],
  );
  return rows.map((row) => row.id);
}
