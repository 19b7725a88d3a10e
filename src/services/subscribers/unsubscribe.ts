import { authorize } from '../../domain/actor.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Subscriber } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { killPendingForSubscriber } from '../../storage/delivery-repository.ts';
import { findSubscriber, markUnsubscribed } from '../../storage/subscriber-repository.ts';
import type { ServiceContext } from '../context.ts';

/**
 * Unsubscribes (the subscriber, by its signed link) or removes (a responder, from the API or the
 * console) a subscriber; its pending deliveries are dropped. Idempotent.
 */
export async function unsubscribe(ctx: ServiceContext, subscriberId: string, reason: 'unsubscribed' | 'removed'): Promise<Subscriber> {
  // A subscriber leaving holds only its link; removing someone else is a responder's.
  if (reason === 'removed') authorize(ctx.actor, 'subscriber.manage');
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, subscriberId);
    if (!subscriber) throw new NotFoundError('subscriber', subscriberId);
    if (subscriber.unsubscribed_at) return subscriber;
    await markUnsubscribed(tx, subscriber.id, at);
    await killPendingForSubscriber(tx, subscriber.id, reason);
    await insertAudit(tx, { actor: ctx.actor.label, action: `subscriber.${reason}`, target_type: 'subscriber', target_id: subscriber.id, at });
    return { ...subscriber, unsubscribed_at: at };
  });
}
