import { NotFoundError } from '../../domain/errors.ts';
import type { Subscriber } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { findSubscriber, findWebhookSecret, markConfirmed } from '../../storage/subscriber-repository.ts';
import { secretsOf, type ServiceContext } from '../context.ts';

/**
 * Confirms a subscription (the signed confirmation link is the credential: no capability);
 * `secret` is the webhook signing secret, returned only by the confirmation that activates it.
 */
export async function confirmSubscriber(ctx: ServiceContext, subscriberId: string): Promise<Subscriber & { secret: string | null }> {
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, subscriberId);
    if (!subscriber || subscriber.unsubscribed_at) throw new NotFoundError('subscription', subscriberId);
    if (subscriber.confirmed_at) return { ...subscriber, secret: null };
    await markConfirmed(tx, subscriber.id, at);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'subscriber.confirmed', target_type: 'subscriber', target_id: subscriber.id, at });
    const secret = subscriber.type === 'webhook' ? await findWebhookSecret(tx, subscriber.id, secretsOf(ctx)) : null;
    return { ...subscriber, confirmed_at: at, secret };
  });
}
