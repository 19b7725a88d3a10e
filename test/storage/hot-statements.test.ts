import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QueryOptions, Queryable, Row } from '../../src/storage/database.ts';
import { claimDeliveries, loadEvents, markDead, markRetry, markSent, renewClaims } from '../../src/storage/delivery-repository.ts';
import { PLAIN_BOX } from '../../src/storage/secret-box.ts';
import { loadSubscribersForDelivery } from '../../src/storage/subscriber-repository.ts';

/** The name pg-database.ts gives a prepared statement: a hash of its SQL text. */
const statementName = (sql: string) => `lifeline_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;

/** Records every statement a repository function sends, and answers with no rows. */
function recorder() {
  const sent: { sql: string; options: QueryOptions | undefined }[] = [];
  const db: Queryable = {
    query: <T extends Row>(sql: string, _params?: unknown[], options?: QueryOptions) => {
      sent.push({ sql, options });
      return Promise.resolve<T[]>([]);
    },
  };
  return { db, sent };
}

/**
 * The delivery worker's hot statements are prepared once per connection and named after their SQL
 * text. Their text is kept on purpose: each literal `state = '…'` lets the planner use the partial
 * indexes (delivery_due, delivery_claimed) even under a generic plan, where a `state = $n` would not.
 * Changing one is a decision: measure with `npm run bench:fanout`, then update the name here.
 */
describe("the delivery worker's prepared statements", () => {
  it('keep their SQL text, so their names and literal state predicates stay', async () => {
    const { db, sent } = recorder();
    const at = new Date('2026-01-01T00:00:00Z');
    await claimDeliveries(db, [1], at);
    await markSent(db, [{ id: 1, at }]);
    await markRetry(db, 1, at, 'error');
    await markDead(db, 1, 'error');
    await renewClaims(db, [1], at);
    await loadEvents(db, [1]);
    await loadSubscribersForDelivery(db, ['s'], PLAIN_BOX);

    expect(sent.every((statement) => statement.options?.prepare === true)).toBe(true);
    expect(sent.map((statement) => statementName(statement.sql))).toEqual([
      'lifeline_e5f2f8c438751ab0', // claimDeliveries
      'lifeline_7a3f25cb9f3ca7b6', // markSent (many at once since issue 16)
      'lifeline_211c9c13dda39696', // markRetry
      'lifeline_2bb2316ec64d0a41', // markDead
      'lifeline_34c7aa466496f163', // renewClaims
      'lifeline_6e893a10bec731e7', // loadEvents
      'lifeline_9008f15dddc7b346', // loadSubscribersForDelivery
    ]);
    for (const { sql } of sent.slice(0, 5)) expect(sql).toMatch(/state = '(pending|sending)'/);
    expect(sent.some(({ sql }) => /state = \$/.test(sql))).toBe(false);
  });

  it('are all listed above: no other statement in src/storage asks to be prepared', () => {
    const storage = join(import.meta.dirname, '../../src/storage');
    const prepared = readdirSync(storage)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => readFileSync(join(storage, file), 'utf8').match(/prepare: true/g) ?? []);
    expect(prepared).toHaveLength(7);
  });
});
