import type { Queryable } from './database.ts';
import type { IdempotencyKeyRow } from './db-types.generated.ts';

export interface StoredResponse {
  request_hash: string;
  response_status: number;
  response_body: unknown;
}

/**
 * Claims (actor, key) inside the caller's transaction. A concurrent request with the same key waits
 * on the row lock and then sees the first response; returns null when this request holds the claim.
 */
export async function claimIdempotencyKey(db: Queryable, claim: { actor: string; key: string; requestHash: string; at: Date }): Promise<StoredResponse | null> {
  const inserted = await db.query<Pick<IdempotencyKeyRow, 'key'>>(
    `INSERT INTO idempotency_key (actor, key, request_hash, response_status, response_body, created_at)
     VALUES ($1, $2, $3, 0, 'null', $4) ON CONFLICT DO NOTHING RETURNING key`,
    [claim.actor, claim.key, claim.requestHash, claim.at],
  );
  if (inserted.length > 0) return null;
  const rows = await db.query<Pick<IdempotencyKeyRow, 'request_hash' | 'response_status' | 'response_body'>>(
    'SELECT request_hash, response_status, response_body FROM idempotency_key WHERE actor = $1 AND key = $2',
    [claim.actor, claim.key],
  );
  return rows[0];
}

export async function completeIdempotencyKey(db: Queryable, done: { actor: string; key: string; status: number; body: unknown }): Promise<void> {
  await db.query('UPDATE idempotency_key SET response_status = $3, response_body = $4 WHERE actor = $1 AND key = $2', [
    done.actor,
    done.key,
    done.status,
    JSON.stringify(done.body),
  ]);
}

/** Keys are kept 24 hours, like Stripe's; older ones are removed by the housekeeping job. */
export async function deleteExpiredIdempotencyKeys(db: Queryable, before: Date): Promise<number> {
  const rows = await db.query('DELETE FROM idempotency_key WHERE created_at < $1 RETURNING key', [before]);
  return rows.length;
}
