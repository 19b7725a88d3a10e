import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { CHAT_PLATFORMS } from '../../domain/chat-platform.ts';
import { parseEmailAddress } from '../../domain/email-address.ts';
import { ConflictError } from '../../domain/errors.ts';
import type { Subscriber } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { findActiveChatSubscriber, insertSubscriber } from '../../storage/subscriber-repository.ts';
import { secretsOf, type ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentRefs, Enum, SubscriberEmailAddress, Url } from '../shared/fields.ts';
import { acceptableChatUrl, type ChatUrlChecks } from './chat-endpoint.ts';
import { resolveComponentFilter } from './component-filter.ts';
import { requestConfirmation } from './request-confirmation.ts';

/** A Slack, Discord or Teams channel a responder subscribes: the chat branch of the API's `POST /subscribers` body. */
export const RegisterChatChannelInput = Type.Object(
  {
    type: Type.Optional(Enum(CHAT_PLATFORMS, { description: "the chat platform; told by the URL's host when missing" })),
    url: Url,
    component_ids: Type.Optional(ComponentRefs),
    email: Type.Optional(SubscriberEmailAddress),
    confirmed: Type.Optional(Type.Boolean({ description: 'the channel already agreed: no confirmation message is posted into it' })),
  },
  { additionalProperties: false },
);
export type RegisterChatChannelInput = Static<typeof RegisterChatChannelInput>;

/**
 * A chat channel subscribed by a responder. Unless `confirmed`, one message with a confirmation
 * link is posted into the channel and nothing else is sent there until someone confirms it. The
 * optional `email` is the owner's, told if the channel stops accepting messages.
 */
export async function registerChatChannel(ctx: ServiceContext, raw: unknown, checks: ChatUrlChecks): Promise<Subscriber> {
  authorize(ctx.actor, 'subscriber.manage');
  const input = parseInput(RegisterChatChannelInput, raw);
  const accepted = await acceptableChatUrl(input.url, input.type, checks);
  const owner = input.email === undefined ? null : parseEmailAddress('email', input.email);
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const filter = await resolveComponentFilter(tx, input.component_ids);
    const existing = await findActiveChatSubscriber(tx, accepted.hash);
    if (existing) throw new ConflictError(`url: this channel is already subscribed (subscriber ${existing.id})`);
    const subscriber = await insertSubscriber(tx, {
      id: ctx.ids.id(),
      type: accepted.platform,
      email: owner,
      url: accepted.shown,
      url_hash: accepted.hash,
      secret: secretsOf(ctx).seal(accepted.url),
      all_components: filter.all,
      component_ids: filter.ids,
      source: 'api',
      confirmed_at: input.confirmed ? at : null,
      at,
    });
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'subscriber.created',
      target_type: 'subscriber',
      target_id: subscriber.id,
      details: { type: accepted.platform, url: accepted.shown, confirmed: subscriber.confirmed_at !== null },
      at,
    });
    if (!subscriber.confirmed_at) await requestConfirmation(tx, subscriber, at, null);
    return subscriber;
  });
}
