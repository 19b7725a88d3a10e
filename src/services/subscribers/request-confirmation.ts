import { isChatPlatform } from '../../domain/chat-platform.ts';
import type { Subscriber } from '../../domain/model.ts';
import { CONFIRMATION_EVENT } from '../../domain/notification-audience.ts';
import { insertOutboxEvent } from '../../storage/audit-repository.ts';
import type { Queryable } from '../../storage/database.ts';
import { markConfirmationSent } from '../../storage/subscriber-repository.ts';

/** Resending a confirmation to one address at most this often, whatever the rate limits upstream. */
const CONFIRMATION_RESEND_MS = 60_000;

/**
 * Queues the confirmation (or "manage your subscription") email, unless one left less than a minute
 * ago. A chat channel gets it as a message in the channel itself (`chat`): its members confirm.
 */
export async function requestConfirmation(tx: Queryable, subscriber: Subscriber, at: Date, lastSentAt: Date | null): Promise<void> {
  if (lastSentAt && at.getTime() - lastSentAt.getTime() < CONFIRMATION_RESEND_MS) return;
  await markConfirmationSent(tx, subscriber.id, at);
  const payload = {
    subscriber_id: subscriber.id,
    already_confirmed: subscriber.confirmed_at !== null,
    ...(isChatPlatform(subscriber.type) ? { chat: true } : {}),
  };
  await insertOutboxEvent(tx, { type: CONFIRMATION_EVENT, payload, at });
}
