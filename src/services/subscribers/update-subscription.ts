import Type, { type Static } from 'typebox';
import { NotFoundError } from '../../domain/errors.ts';
import type { Subscriber } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { findSubscriber, setComponentFilter } from '../../storage/subscriber-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentRefs } from '../shared/fields.ts';
import { resolveComponentFilter } from './component-filter.ts';

/** A subscriber's choice of components (none or missing: every component), from the manage page. */
export const UpdateSubscriptionInput = Type.Object(
  {
    component_ids: Type.Optional(ComponentRefs),
  },
  { additionalProperties: false },
);
export type UpdateSubscriptionInput = Static<typeof UpdateSubscriptionInput>;

/** Changes what a subscriber hears about; the signed manage link is the credential (no capability). */
export async function updateSubscription(ctx: ServiceContext, subscriberId: string, raw: unknown): Promise<Subscriber> {
  const input = parseInput(UpdateSubscriptionInput, raw);
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, subscriberId);
    if (!subscriber || subscriber.unsubscribed_at) throw new NotFoundError('subscription', subscriberId);
    const filter = await resolveComponentFilter(tx, input.component_ids);
    await setComponentFilter(tx, subscriber.id, filter, at);
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'subscriber.updated',
      target_type: 'subscriber',
      target_id: subscriber.id,
      details: { components: filter.all ? 'all' : filter.ids },
      at,
    });
    return { ...subscriber, all_components: filter.all, component_ids: filter.ids };
  });
}
