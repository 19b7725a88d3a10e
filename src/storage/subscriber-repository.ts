import type { AlertRecipient, Subscriber } from '../domain/model.ts';
import { selectList, type Selected } from './columns.ts';
import type { Queryable } from './database.ts';
import type { SubscriberRow } from './db-types.generated.ts';
import type { SecretBox } from './secret-box.ts';

// Part of the delivery worker's prepared statement (loadSubscribersForDelivery): its text is kept as it is.
const COLUMNS = selectList<SubscriberRow>()(`id, type, email, url, all_components, component_ids, source, confirmed_at, suppressed_at, suppressed_reason,
  disabled_at, disabled_reason, unsubscribed_at, created_at, updated_at`);
type SubscriberColumns = Selected<SubscriberRow, typeof COLUMNS>;

function toSubscriber(row: SubscriberColumns): Subscriber {
  return {
    id: row.id,
    type: row.type,
    email: row.email,
    url: row.url,
    all_components: row.all_components,
    component_ids: row.component_ids,
    source: row.source,
    confirmed_at: row.confirmed_at,
    suppressed_at: row.suppressed_at,
    suppressed_reason: row.suppressed_reason,
    disabled_at: row.disabled_at,
    disabled_reason: row.disabled_reason,
    unsubscribed_at: row.unsubscribed_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Writers pass `secret` as stored (sealed with the app's SecretBox); readers take the box to open it. */
export async function insertSubscriber(
  db: Queryable,
  s: {
    id: string;
    type: Subscriber['type'];
    email: string | null;
    url: string | null;
    /** Chat channels: SHA-256 of the full URL (kept sealed in `secret`), to find the channel again. */
    url_hash?: string | null;
    secret: string | null;
    all_components: boolean;
    component_ids: string[];
    source: Subscriber['source'];
    confirmed_at: Date | null;
    at: Date;
  },
): Promise<Subscriber> {
  const rows = await db.query<SubscriberColumns>(
    `INSERT INTO subscriber (id, type, email, url, secret, all_components, component_ids, source, confirmed_at, created_at, updated_at, url_hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING ${COLUMNS}`,
    [s.id, s.type, s.email, s.url, s.secret, s.all_components, JSON.stringify(s.component_ids), s.source, s.confirmed_at, s.at, s.url_hash ?? null],
  );
  return toSubscriber(rows[0]);
}

export async function findSubscriber(db: Queryable, id: string): Promise<Subscriber | null> {
  const rows = await db.query<SubscriberColumns>(`SELECT ${COLUMNS} FROM subscriber WHERE id = $1 AND audience = 'public'`, [id]);
  return rows.length > 0 ? toSubscriber(rows[0]) : null;
}

export async function findActiveEmailSubscriber(db: Queryable, email: string): Promise<Subscriber | null> {
  const rows = await db.query<SubscriberColumns>(
    `SELECT ${COLUMNS} FROM subscriber WHERE type = 'email' AND audience = 'public' AND lower(email) = lower($1) AND unsubscribed_at IS NULL`,
    [email],
  );
  return rows.length > 0 ? toSubscriber(rows[0]) : null;
}

export async function findActiveWebhookSubscriber(db: Queryable, url: string): Promise<Subscriber | null> {
  const rows = await db.query<SubscriberColumns>(
    `SELECT ${COLUMNS} FROM subscriber WHERE type = 'webhook' AND audience = 'public' AND url = $1 AND unsubscribed_at IS NULL`,
    [url],
  );
  return rows.length > 0 ? toSubscriber(rows[0]) : null;
}

/** The active chat subscriber (Slack, Discord, Teams) whose incoming-webhook URL has this SHA-256. */
export async function findActiveChatSubscriber(db: Queryable, urlHash: string): Promise<Subscriber | null> {
  const rows = await db.query<SubscriberColumns>(
    `SELECT ${COLUMNS} FROM subscriber
     WHERE type IN ('slack', 'discord', 'teams') AND audience = 'public' AND url_hash = $1 AND unsubscribed_at IS NULL`,
    [urlHash],
  );
  return rows.length > 0 ? toSubscriber(rows[0]) : null;
}

/** Subscribers with their (opened) secrets, for the delivery worker. */
export async function loadSubscribersForDelivery(
  db: Queryable,
  ids: string[],
  box: SecretBox,
): Promise<Map<string, Subscriber & { secret: string | null; failing_since: Date | null }>> {
  const rows = await db.query<SubscriberColumns & Pick<SubscriberRow, 'secret' | 'failing_since'>>(
    `SELECT ${COLUMNS}, secret, failing_since FROM subscriber WHERE id = ANY($1)`,
    [ids],
    { prepare: true },
  );
  return new Map(rows.map((row) => [row.id, { ...toSubscriber(row), secret: openSecret(row.secret, box), failing_since: row.failing_since }]));
}

const openSecret = (stored: string | null | undefined, box: SecretBox) => (typeof stored === 'string' ? box.open(stored) : null);

/** A webhook subscriber's signing secret, opened. */
export async function findWebhookSecret(db: Queryable, id: string, box: SecretBox): Promise<string | null> {
  const rows = await db.query<Pick<SubscriberRow, 'secret'>>('SELECT secret FROM subscriber WHERE id = $1', [id]);
  return openSecret(rows[0]?.secret, box);
}

/** Which subscribers a list shows, as Statuspage's `state` filter names them (all: every one not unsubscribed). */
export type SubscriberState = 'active' | 'unconfirmed' | 'quarantined' | 'all';

export async function listSubscribers(
  db: Queryable,
  options: { type?: string; search?: string; searchUrls?: boolean; limit: number; afterId?: string; offset?: number; state?: SubscriberState },
): Promise<Subscriber[]> {
  const rows = await db.query<SubscriberColumns>(
    `SELECT ${COLUMNS} FROM subscriber
     WHERE unsubscribed_at IS NULL AND audience = 'public' AND ($1::text IS NULL OR type = $1)
       AND ($2::text IS NULL OR email ILIKE '%' || $2 || '%' OR ($7::boolean AND url ILIKE '%' || $2 || '%'))
       AND ($3::text IS NULL OR id > $3)
       AND ($5::text = 'all'
         OR ($5 = 'active' AND confirmed_at IS NOT NULL AND suppressed_at IS NULL AND disabled_at IS NULL)
         OR ($5 = 'unconfirmed' AND confirmed_at IS NULL)
         OR ($5 = 'quarantined' AND (suppressed_at IS NOT NULL OR disabled_at IS NOT NULL)))
     ORDER BY id LIMIT $4 OFFSET $6`,
    [
      options.type ?? null,
      options.search ?? null,
      options.afterId ?? null,
      options.limit,
      options.state ?? 'all',
      options.offset ?? 0,
      options.searchUrls ?? true,
    ],
  );
  return rows.map(toSubscriber);
}

// One function per change, each with fixed SQL: no column name is ever built from input.

/** When the last confirmation (or manage-link) email was requested for this subscriber. */
export async function findConfirmationSentAt(db: Queryable, id: string): Promise<Date | null> {
  const rows = await db.query<Pick<SubscriberRow, 'confirmation_sent_at'>>('SELECT confirmation_sent_at FROM subscriber WHERE id = $1', [id]);
  return rows[0]?.confirmation_sent_at ?? null;
}

export async function markConfirmationSent(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query('UPDATE subscriber SET confirmation_sent_at = $2, updated_at = $2 WHERE id = $1', [id, at]);
}

export async function setComponentFilter(db: Queryable, id: string, filter: { all: boolean; ids: string[] }, at: Date): Promise<void> {
  await db.query('UPDATE subscriber SET all_components = $2, component_ids = $3, updated_at = $4 WHERE id = $1', [
    id,
    filter.all,
    JSON.stringify(filter.ids),
    at,
  ]);
}

/** `secret` as stored (sealed with the app's SecretBox). */
export async function setSecret(db: Queryable, id: string, secret: string, at: Date): Promise<void> {
  await db.query('UPDATE subscriber SET secret = $2, updated_at = $3 WHERE id = $1', [id, secret, at]);
}

export async function markConfirmed(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query('UPDATE subscriber SET confirmed_at = $2, updated_at = $2 WHERE id = $1', [id, at]);
}

export async function markUnsubscribed(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query('UPDATE subscriber SET unsubscribed_at = $2, updated_at = $2 WHERE id = $1', [id, at]);
}

/** An email address that bounced for good: nothing more is sent to it. */
export async function markSuppressed(db: Queryable, id: string, reason: string, at: Date): Promise<void> {
  await db.query('UPDATE subscriber SET suppressed_at = $2, suppressed_reason = $3, updated_at = $2 WHERE id = $1', [id, at, reason]);
}

/** A webhook endpoint turned off (by the worker after sustained failure, or by a responder). */
export async function markDisabled(db: Queryable, id: string, reason: string, at: Date): Promise<void> {
  await db.query('UPDATE subscriber SET disabled_at = $2, disabled_reason = $3, updated_at = $2 WHERE id = $1', [id, at, reason]);
}

/** Undoes suppression, disabling and the failure streak: the subscriber receives again. */
export async function clearDeliveryBlocks(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query(
    'UPDATE subscriber SET disabled_at = NULL, disabled_reason = NULL, suppressed_at = NULL, suppressed_reason = NULL, failing_since = NULL, updated_at = $2 WHERE id = $1',
    [id, at],
  );
}

/** Records the result of a webhook attempt for auto-disable: returns since when the endpoint has been failing. */
export async function markWebhookResult(db: Queryable, id: string, ok: boolean, at: Date): Promise<Date | null> {
  const rows = await db.query<Pick<SubscriberRow, 'failing_since'>>(
    `UPDATE subscriber SET failing_since = CASE WHEN $2 THEN NULL ELSE COALESCE(failing_since, $3) END WHERE id = $1 RETURNING failing_since`,
    [id, ok, at],
  );
  return rows[0]?.failing_since ?? null;
}

export async function listAlertRecipients(db: Queryable, box: SecretBox): Promise<AlertRecipient[]> {
  // A recipient is stored with its address in `email` or in `url` (insertAlertRecipient), never neither.
  const rows = await db.query<Pick<SubscriberRow, 'id' | 'type' | 'alert_metrics' | 'secret' | 'disabled_at' | 'disabled_reason'> & { address: string }>(
    `SELECT id, type, COALESCE(email, url) AS address, alert_metrics, secret, disabled_at, disabled_reason FROM subscriber
     WHERE audience = 'responder' AND unsubscribed_at IS NULL ORDER BY type, address`,
  );
  // Responders are paged by email or webhook only (insertAlertRecipient); a chat type here would be a row no sync wrote.
  return rows
    .flatMap(({ type, ...row }) => (type === 'email' || type === 'webhook' ? [{ ...row, type }] : []))
    .map((row) => ({
      id: row.id,
      type: row.type,
      address: row.address,
      metrics: row.alert_metrics,
      secret: openSecret(row.secret, box),
      disabled_at: row.disabled_at,
      disabled_reason: row.disabled_reason,
    }));
}

export async function insertAlertRecipient(
  db: Queryable,
  r: { id: string; type: 'email' | 'webhook'; address: string; metrics: string[]; secret: string | null; at: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO subscriber (id, type, email, url, secret, all_components, source, audience, alert_metrics, confirmed_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, false, 'api', 'responder', $6, $7, $7, $7)`,
    [r.id, r.type, r.type === 'email' ? r.address : null, r.type === 'webhook' ? r.address : null, r.secret, JSON.stringify(r.metrics), r.at],
  );
}

export async function setAlertMetrics(db: Queryable, id: string, metrics: string[], at: Date): Promise<void> {
  await db.query('UPDATE subscriber SET alert_metrics = $2, updated_at = $3 WHERE id = $1', [id, JSON.stringify(metrics), at]);
}
