import { NotFoundError } from '../../domain/errors.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { findSubscriber, setSecret } from '../../storage/subscriber-repository.ts';
import { secretsOf, type ServiceContext } from '../context.ts';

/**
 * A new signing secret for a webhook endpoint (the old one stops working at once); returned this
 * once. Two doors, two credentials: the endpoint's owner with the signed manage link (a visitor,
 * holding no capability), and a responder in the console (guarded by `subscriber.manage`).
 */
export async function rotateWebhookSecret(ctx: ServiceContext, subscriberId: string, generateSecret: () => string): Promise<string> {
  const at = ctx.clock.now();
  const secret = generateSecret();
  await ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, subscriberId);
    if (!subscriber || subscriber.unsubscribed_at || subscriber.type !== 'webhook') throw new NotFoundError('webhook subscriber', subscriberId);
    await setSecret(tx, subscriber.id, secretsOf(ctx).seal(secret), at);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'subscriber.secret_rotated', target_type: 'subscriber', target_id: subscriber.id, at });
  });
  return secret;
}
