import { authorize } from '../../domain/actor.ts';
import { ValidationError } from '../../domain/errors.ts';
import { insertAudit, notifyOutbox } from '../../storage/audit-repository.ts';
import { replayDeadDeliveries } from '../../storage/delivery-repository.ts';
import type { ServiceContext } from '../context.ts';

/**
 * Puts dead-lettered deliveries back in the queue (by id, or every dead one of a notice): pending
 * now, attempts reset, recorded in the audit log, and the dispatcher woken on commit so they leave
 * at once. Returns the ids replayed (already replayed or unknown ones are skipped).
 */
export async function replayDeadLetters(ctx: ServiceContext, input: { ids?: number[]; eventId?: number }): Promise<number[]> {
  authorize(ctx.actor, 'delivery.replay');
  const ids = input.ids?.filter((id) => Number.isSafeInteger(id) && id > 0);
  if ((!ids || ids.length === 0) && input.eventId === undefined) throw new ValidationError('ids', 'give the deliveries to replay, or a notice (event_id)');
  // Checked here, not only by a route's schema: an id no row can have must not reach the database (a 500 there).
  if (input.eventId !== undefined && !(Number.isSafeInteger(input.eventId) && input.eventId > 0)) {
    throw new ValidationError('event_id', `must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`);
  }
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const replayed = await replayDeadDeliveries(tx, { ids: ids && ids.length > 0 ? ids : undefined, eventId: input.eventId }, at);
    if (replayed.length > 0) {
      await insertAudit(tx, { actor: ctx.actor.label, action: 'delivery.replayed', target_type: 'delivery', target_id: input.eventId === undefined ? null : `event:${input.eventId}`, details: { ids: replayed }, at });
      await notifyOutbox(tx);
    }
    return replayed;
  });
}
