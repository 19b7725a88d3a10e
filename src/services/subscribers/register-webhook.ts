import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { elideSubscriberUrl } from '../../domain/subscriber-url.ts';
import { parseEmailAddress } from '../../domain/email-address.ts';
import { ConflictError } from '../../domain/errors.ts';
import type { Subscriber } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { findActiveWebhookSubscriber, insertSubscriber } from '../../storage/subscriber-repository.ts';
import { secretsOf, type ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentRefs, SubscriberEmailAddress, Url } from '../shared/fields.ts';
import { resolveComponentFilter } from './component-filter.ts';
import { acceptableWebhookUrl, type CheckWebhookUrl } from './webhook-endpoint.ts';

/** A webhook endpoint a responder registers: the webhook branch of the API's `POST /subscribers` body. */
export const RegisterWebhookInput = Type.Object(
  {
    type: Type.Literal('webhook'),
    url: Url,
    component_ids: Type.Optional(ComponentRefs),
    email: Type.Optional(SubscriberEmailAddress),
  },
  { additionalProperties: false },
);
export type RegisterWebhookInput = Static<typeof RegisterWebhookInput>;

/** A webhook endpoint registered by a responder: active at once; its secret is returned this once. */
export async function registerWebhook(
  ctx: ServiceContext,
  raw: unknown,
  checkUrl: CheckWebhookUrl,
  generateSecret: () => string,
): Promise<{ subscriber: Subscriber; secret: string }> {
  authorize(ctx.actor, 'subscriber.manage');
  const input = parseInput(RegisterWebhookInput, raw);
  const url = await acceptableWebhookUrl(input.url, checkUrl);
  const owner = input.email === undefined ? null : parseEmailAddress('email', input.email);
  const at = ctx.clock.now();
  const secret = generateSecret();
  return ctx.db.transaction(async (tx) => {
    const filter = await resolveComponentFilter(tx, input.component_ids);
    const existing = await findActiveWebhookSubscriber(tx, url);
    if (existing) throw new ConflictError(`url: this endpoint is already subscribed (subscriber ${existing.id})`);
    const subscriber = await insertSubscriber(tx, {
      id: ctx.ids.id(),
      type: 'webhook',
      email: owner,
      url,
      secret: secretsOf(ctx).seal(secret),
      all_components: filter.all,
      component_ids: filter.ids,
      source: 'api',
      confirmed_at: at,
      at,
    });
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'subscriber.created',
      target_type: 'subscriber',
      target_id: subscriber.id,
      details: { type: 'webhook', url: elideSubscriberUrl(url) },
      at,
    });
    return { subscriber, secret };
  });
}
