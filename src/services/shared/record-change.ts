import type { Queryable } from '../../storage/database.ts';
import { insertAudit, insertOutboxEvent } from '../../storage/audit-repository.ts';
import { touchPage } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';

/**
 * The tail of every public write, inside its transaction: the audit row, the outbox event for the
 * notification pipeline, and the page revision bump that makes every instance rebuild its snapshot.
 */
export async function recordChange(
  tx: Queryable,
  ctx: ServiceContext,
  change: {
    action: string;
    targetType: string;
    targetId: string | null;
    details?: Record<string, unknown>;
    event?: { type: string; payload: Record<string, unknown> };
  },
  at: Date,
): Promise<void> {
  await insertAudit(tx, {
    actor: ctx.actor.label,
    action: change.action,
    target_type: change.targetType,
    target_id: change.targetId,
    details: change.details,
    at,
  });
  if (change.event) await insertOutboxEvent(tx, { ...change.event, at });
  await touchPage(tx, at);
}
