import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { elideSubscriberUrl } from '../../domain/subscriber-url.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Subscriber } from '../../domain/model.ts';
import { requireText } from '../../domain/validation.ts';
import { ENDPOINT_DISABLED_EVENT } from '../../domain/notification-audience.ts';
import { insertAudit, insertOutboxEvent } from '../../storage/audit-repository.ts';
import { killPendingForSubscriber } from '../../storage/delivery-repository.ts';
import { findSubscriber, markDisabled } from '../../storage/subscriber-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';

/** The longest reason kept for turning an endpoint off (shown in the console and told to its owner). */
const REASON_MAX = 500;

/** Why a responder turns the endpoint off; none (or blank) is recorded as "disabled by a responder". */
export const DisableWebhookEndpointInput = Type.Object(
  {
    reason: Type.Optional(Type.String({ maxLength: REASON_MAX })),
  },
  { additionalProperties: false },
);
export type DisableWebhookEndpointInput = Static<typeof DisableWebhookEndpointInput>;

/**
 * A responder turns a webhook endpoint off on purpose (it misbehaves, its owner asked): nothing is
 * sent to it until it is re-enabled (reactivateSubscriber); its pending deliveries are
 * dead-lettered with the reason, so they can be replayed once it is back; its owner is told by
 * email, as when the worker disables it after sustained failure. Idempotent.
 */
export async function disableWebhookEndpoint(ctx: ServiceContext, subscriberId: string, raw: unknown = {}): Promise<Subscriber> {
  authorize(ctx.actor, 'subscriber.manage');
  const input = parseInput(DisableWebhookEndpointInput, raw);
  const reason =
    input.reason === undefined || input.reason.trim() === ''
      ? 'disabled by a responder'
      : requireText('reason', input.reason, { max: REASON_MAX, multiline: true });
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, subscriberId);
    // Webhook endpoints and chat channels (an address is suppressed, not disabled).
    if (!subscriber || subscriber.unsubscribed_at || subscriber.type === 'email') throw new NotFoundError('webhook or chat subscriber', subscriberId);
    if (subscriber.disabled_at) return subscriber;
    await markDisabled(tx, subscriber.id, reason, at);
    await killPendingForSubscriber(tx, subscriber.id, `endpoint disabled: ${reason}`);
    if (subscriber.email) {
      await insertOutboxEvent(tx, {
        type: ENDPOINT_DISABLED_EVENT,
        payload: { subscriber_id: subscriber.id, owner_email: subscriber.email, reason, by_responder: true },
        at,
      });
    }
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'subscriber.disabled',
      target_type: 'subscriber',
      target_id: subscriber.id,
      details: { reason, url: subscriber.url === null ? null : elideSubscriberUrl(subscriber.url) },
      at,
    });
    return { ...subscriber, disabled_at: at, disabled_reason: reason };
  });
}
