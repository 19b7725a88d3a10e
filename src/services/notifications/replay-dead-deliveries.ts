import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { ValidationError } from '../../domain/errors.ts';
import { insertAudit, notifyOutbox } from '../../storage/audit-repository.ts';
import { replayDeadDeliveries } from '../../storage/delivery-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';

/**
 * Which dead letters to replay: these ids, or every dead one of a notice (`event_id`). The event id
 * is bounded by the use-case below rather than by the schema, which keeps its error's words.
 */
export const ReplayDeadLettersInput = Type.Object(
  {
    ids: Type.Optional(Type.Array(Type.Integer(), { minItems: 1, maxItems: 10_000 })),
    event_id: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type ReplayDeadLettersInput = Static<typeof ReplayDeadLettersInput>;

/**
 * Puts dead-lettered deliveries back in the queue (by id, or every dead one of a notice): pending
 * now, attempts reset, recorded in the audit log, and the dispatcher woken on commit so they leave
 * at once. Returns the ids replayed (already replayed or unknown ones are skipped).
 */
export async function replayDeadLetters(ctx: ServiceContext, raw: unknown): Promise<number[]> {
  authorize(ctx.actor, 'delivery.replay');
  const input = parseInput(ReplayDeadLettersInput, raw);
  const eventId = input.event_id;
  const ids = input.ids?.filter((id) => Number.isSafeInteger(id) && id > 0);
  if ((!ids || ids.length === 0) && eventId === undefined) throw new ValidationError('ids', 'give the deliveries to replay, or a notice (event_id)');
  // Checked here, not only by a route's schema: an id no row can have must not reach the database (a 500 there).
  if (eventId !== undefined && !(Number.isSafeInteger(eventId) && eventId > 0)) {
    throw new ValidationError('event_id', `must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`);
  }
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const replayed = await replayDeadDeliveries(tx, { ids: ids && ids.length > 0 ? ids : undefined, eventId }, at);
    if (replayed.length > 0) {
      await insertAudit(tx, {
        actor: ctx.actor.label,
        action: 'delivery.replayed',
        target_type: 'delivery',
        target_id: eventId === undefined ? null : `event:${eventId}`,
        details: { ids: replayed },
        at,
      });
      await notifyOutbox(tx);
    }
    return replayed;
  });
}
