import { authorize } from '../../domain/actor.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Subscriber } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { clearDeliveryBlocks, findSubscriber } from '../../storage/subscriber-repository.ts';
import type { ServiceContext } from '../context.ts';

/** Turns a disabled (or suppressed) subscriber back on, e.g. once a broken webhook endpoint is fixed. */
export async function reactivateSubscriber(ctx: ServiceContext, subscriberId: string): Promise<Subscriber> {
  authorize(ctx.actor, 'subscriber.manage');
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, subscriberId);
    if (!subscriber || subscriber.unsubscribed_at) throw new NotFoundError('subscriber', subscriberId);
    await clearDeliveryBlocks(tx, subscriberId, at);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'subscriber.reactivated', target_type: 'subscriber', target_id: subscriberId, at });
    return { ...subscriber, disabled_at: null, disabled_reason: null, suppressed_at: null, suppressed_reason: null };
  });
}
