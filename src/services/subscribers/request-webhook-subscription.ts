import Type, { type Static } from 'typebox';
import { parseEmailAddress } from '../../domain/email-address.ts';
import { elideSubscriberUrl } from '../../domain/subscriber-url.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { findActiveWebhookSubscriber, findConfirmationSentAt, insertSubscriber } from '../../storage/subscriber-repository.ts';
import { secretsOf, type ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentRefs, SubscriberEmailAddress, Url } from '../shared/fields.ts';
import { resolveComponentFilter } from './component-filter.ts';
import { requestConfirmation } from './request-confirmation.ts';
import { acceptableWebhookUrl, type CheckWebhookUrl } from './webhook-endpoint.ts';

/** A webhook endpoint signed up from the public page, with the owner's address that confirms it. */
export const RequestWebhookSubscriptionInput = Type.Object(
  {
    url: Url,
    email: SubscriberEmailAddress,
    component_ids: Type.Optional(ComponentRefs),
  },
  { additionalProperties: false },
);
export type RequestWebhookSubscriptionInput = Static<typeof RequestWebhookSubscriptionInput>;

/**
 * A webhook endpoint signed up from the public page: nothing is sent to it until its owner
 * confirms by email (the confirmation page then shows the signing secret, once). A sign-up for
 * an endpoint already subscribed mails its recorded owner a manage link and answers the same.
 * Anyone may ask (visitors hold no capability): the owner's emailed link is what confirms.
 */
export async function requestWebhookSubscription(ctx: ServiceContext, raw: unknown, checkUrl: CheckWebhookUrl, generateSecret: () => string): Promise<void> {
  const input = parseInput(RequestWebhookSubscriptionInput, raw);
  const owner = parseEmailAddress('email', input.email);
  const url = await acceptableWebhookUrl(input.url, checkUrl);
  const at = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    const filter = await resolveComponentFilter(tx, input.component_ids);
    const existing = await findActiveWebhookSubscriber(tx, url);
    if (existing) {
      const lastSentAt = await findConfirmationSentAt(tx, existing.id);
      // Only the recorded owner hears about it; an endpoint without one (registered by a responder) is left alone.
      if (existing.email) await requestConfirmation(tx, existing, at, lastSentAt);
      return;
    }
    const subscriber = await insertSubscriber(tx, {
      id: ctx.ids.id(),
      type: 'webhook',
      email: owner,
      url,
      secret: secretsOf(ctx).seal(generateSecret()),
      all_components: filter.all,
      component_ids: filter.ids,
      source: 'public',
      confirmed_at: null,
      at,
    });
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'subscriber.created',
      target_type: 'subscriber',
      target_id: subscriber.id,
      details: { type: 'webhook', source: 'public', url: elideSubscriberUrl(url) },
      at,
    });
    await requestConfirmation(tx, subscriber, at, null);
  });
}
