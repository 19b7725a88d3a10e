import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { parseEmailAddress } from '../../domain/email-address.ts';
import { ConflictError } from '../../domain/errors.ts';
import type { Subscriber } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { findActiveEmailSubscriber, findConfirmationSentAt, insertSubscriber } from '../../storage/subscriber-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentRefs, SubscriberEmailAddress } from '../shared/fields.ts';
import { resolveComponentFilter } from './component-filter.ts';
import { requestConfirmation } from './request-confirmation.ts';

/** An email subscriber: the email branch of the API's `POST /subscribers` body, the public sign-up form, one imported row. */
export const SubscribeByEmailInput = Type.Object(
  {
    type: Type.Literal('email'),
    email: SubscriberEmailAddress,
    component_ids: Type.Optional(ComponentRefs),
    confirmed: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SubscribeByEmailInput = Static<typeof SubscribeByEmailInput>;

/** Who signs up: the public form (always double opt-in), a responder through the API, or a responder's import. */
export type SubscriptionSource = 'public' | 'api' | 'import';

/**
 * Email sign-up. Public sign-ups always confirm by email (double opt-in); responders importing an
 * already-consented list may pass `confirmed`. A public sign-up for an address already subscribed
 * (confirmed: a "manage" link; unconfirmed: the confirmation again, at most once a minute) changes
 * nothing of its subscription, since whoever submits the form need not own the address; it answers
 * the same as a fresh sign-up: no enumeration.
 */
export async function subscribeByEmail(
  ctx: ServiceContext,
  raw: unknown,
  options: { source: SubscriptionSource },
): Promise<{ subscriber: Subscriber; created: boolean }> {
  // The public form is open to anyone (the emailed link confirms); the other sources are a responder's.
  if (options.source !== 'public') authorize(ctx.actor, 'subscriber.manage');
  const input = parseInput(SubscribeByEmailInput, raw);
  const email = parseEmailAddress('email', input.email);
  const { source } = options;
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const filter = await resolveComponentFilter(tx, input.component_ids);
    const existing = await findActiveEmailSubscriber(tx, email);
    if (existing) {
      if (source !== 'public') throw new ConflictError(`email: ${email} is already subscribed (subscriber ${existing.id})`);
      const lastSentAt = await findConfirmationSentAt(tx, existing.id);
      await requestConfirmation(tx, existing, at, lastSentAt);
      return { subscriber: existing, created: false };
    }
    const subscriber = await insertSubscriber(tx, {
      id: ctx.ids.id(),
      type: 'email',
      email,
      url: null,
      secret: null,
      all_components: filter.all,
      component_ids: filter.ids,
      source,
      confirmed_at: input.confirmed && source !== 'public' ? at : null,
      at,
    });
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'subscriber.created',
      target_type: 'subscriber',
      target_id: subscriber.id,
      details: { type: 'email', source, confirmed: subscriber.confirmed_at !== null },
      at,
    });
    if (!subscriber.confirmed_at) await requestConfirmation(tx, subscriber, at, null);
    return { subscriber, created: true };
  });
}
