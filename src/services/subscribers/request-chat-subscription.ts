import Type, { type Static } from 'typebox';
import { insertAudit } from '../../storage/audit-repository.ts';
import { findActiveChatSubscriber, findConfirmationSentAt, insertSubscriber } from '../../storage/subscriber-repository.ts';
import { secretsOf, type ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { CHAT_PLATFORMS } from '../../domain/chat-platform.ts';
import { ComponentRefs, Enum, Url } from '../shared/fields.ts';
import { acceptableChatUrl, type ChatUrlChecks } from './chat-endpoint.ts';
import { resolveComponentFilter } from './component-filter.ts';
import { requestConfirmation } from './request-confirmation.ts';

/** A Slack, Discord or Teams channel signed up from the public page: its incoming-webhook URL and the components it follows. */
export const RequestChatSubscriptionInput = Type.Object(
  {
    type: Type.Optional(Enum(CHAT_PLATFORMS, { description: "the chat platform; told by the URL's host when missing" })),
    url: Url,
    component_ids: Type.Optional(ComponentRefs),
  },
  { additionalProperties: false },
);
export type RequestChatSubscriptionInput = Static<typeof RequestChatSubscriptionInput>;

/**
 * A chat channel signed up from the public page (the platform is told by the URL's host). One
 * message with a confirmation link is posted into the channel, and nothing else until someone
 * there confirms: the channel's own members decide. A sign-up for a channel already subscribed
 * posts a fresh link (at most once a minute) and answers the same. Anyone may ask (visitors hold
 * no capability); holding the URL is already the power to post there.
 */
export async function requestChatSubscription(ctx: ServiceContext, raw: unknown, checks: ChatUrlChecks): Promise<void> {
  const input = parseInput(RequestChatSubscriptionInput, raw);
  const accepted = await acceptableChatUrl(input.url, input.type, checks);
  const at = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    const filter = await resolveComponentFilter(tx, input.component_ids);
    const existing = await findActiveChatSubscriber(tx, accepted.hash);
    if (existing) {
      const lastSentAt = await findConfirmationSentAt(tx, existing.id);
      // Whoever submits the form again need not be the channel's: its choices stay as they are.
      await requestConfirmation(tx, existing, at, lastSentAt);
      return;
    }
    const subscriber = await insertSubscriber(tx, {
      id: ctx.ids.id(),
      type: accepted.platform,
      email: null,
      url: accepted.shown,
      url_hash: accepted.hash,
      secret: secretsOf(ctx).seal(accepted.url),
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
      details: { type: accepted.platform, source: 'public', url: accepted.shown },
      at,
    });
    await requestConfirmation(tx, subscriber, at, null);
  });
}
