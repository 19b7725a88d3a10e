import type { HeartbeatDefinition } from '../../config.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { lockAlertRecipients } from '../../storage/locks.ts';
import { insertAlertRecipient, listAlertRecipients, markUnsubscribed, setAlertMetrics } from '../../storage/subscriber-repository.ts';
import { PLAIN_BOX } from '../../storage/secret-box.ts';
import { secretsOf, type ServiceContext } from '../context.ts';

/**
 * Makes the responder alert recipients match the page definition's `alert:` lists: one recipient
 * per address, alerted for every metric that names it. A webhook recipient gets its Standard
 * Webhooks secret once (shown by GET /api/v1/alert-recipients); removed addresses stop receiving.
 */
export async function syncAlertRecipients(ctx: ServiceContext, metrics: HeartbeatDefinition[]): Promise<{ added: string[]; removed: string[] }> {
  const wanted = new Map<string, { type: 'email' | 'webhook'; address: string; metrics: string[] }>();
  for (const metric of metrics) {
    const add = (type: 'email' | 'webhook', address: string) => {
      const key = `${type}|${type === 'email' ? address.toLowerCase() : address}`;
      const entry = wanted.get(key) ?? { type, address, metrics: [] };
      entry.metrics.push(metric.key);
      wanted.set(key, entry);
    };
    for (const email of metric.alert?.emails ?? []) add('email', email);
    for (const url of metric.alert?.webhooks ?? []) add('webhook', url);
  }
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    await lockAlertRecipients(tx);
    const added: string[] = [];
    const removed: string[] = [];
    // Only addresses are compared here; secrets stay sealed.
    for (const existing of await listAlertRecipients(tx, { ...PLAIN_BOX, open: (stored) => stored })) {
      const key = `${existing.type}|${existing.type === 'email' ? existing.address.toLowerCase() : existing.address}`;
      const entry = wanted.get(key);
      wanted.delete(key);
      if (!entry) {
        await markUnsubscribed(tx, existing.id, at);
        removed.push(existing.address);
      } else if (entry.metrics.join() !== existing.metrics.join()) {
        await setAlertMetrics(tx, existing.id, entry.metrics, at);
      }
    }
    for (const entry of wanted.values()) {
      const secret = entry.type === 'webhook' ? secretsOf(ctx).seal(`whsec_${ctx.ids.bytes(32).toString('base64')}`) : null;
      await insertAlertRecipient(tx, { id: ctx.ids.id(), ...entry, secret, at });
      added.push(entry.address);
    }
    if (added.length + removed.length > 0) {
      await insertAudit(tx, {
        actor: ctx.actor.label,
        action: 'alert_recipients.synced',
        target_type: 'page',
        target_id: null,
        details: { added, removed },
        at,
      });
    }
    return { added, removed };
  });
}
