import { parseEmailAddress } from '../../domain/email-address.ts';
import { ValidationError } from '../../domain/errors.ts';
import { findImported, idsTaken, listImported, recordImported } from '../../storage/import-repository.ts';
import { listComponents } from '../../storage/page-repository.ts';
import { findActiveEmailSubscriber, findActiveWebhookSubscriber, insertSubscriber, markDisabled, markSuppressed } from '../../storage/subscriber-repository.ts';
import { secretsOf } from '../context.ts';
import type { ImportBatchSubscriber } from './statuspage-batch-input.ts';
import { idFor, type ImportScope } from './outcome.ts';

/** A webhook endpoint as the SSRF guard judged it before the transaction: its one spelling, or why it was refused. */
export type CheckedEndpoint = { ok: true; url: string } | { ok: false; reason: string };

const QUARANTINED = 'quarantined on Statuspage: messages to it could not be delivered';

/**
 * Email and webhook subscribers, keeping what they chose: confirmed (Statuspage's `active`) or not,
 * quarantined ones held back, and their components (none listed: all of them). No confirmation
 * email is sent: an unconfirmed subscriber stays unconfirmed and receives nothing until it signs
 * up again.
 *
 * Statuspage never signed its webhooks, so no receiver can be checking a signature: each endpoint
 * is registered active, with a new signing secret of its own that nobody has yet. Deliveries carry
 * Standard Webhooks signature headers, which such a receiver ignores; a team that wants to check
 * them rotates the endpoint's secret in the console and hands it over. Endpoints the SSRF guard
 * refuses (private addresses, bad URLs) are left out and reported.
 */
export async function importSubscribers(
  scope: ImportScope,
  subscribers: ImportBatchSubscriber[],
  options: { endpoints: Map<string, CheckedEndpoint>; generateWebhookSecret: () => string },
): Promise<void> {
  const { tx, ctx, sourcePage, at, outcome } = scope;
  const components = await listImported(tx, 'statuspage', 'component');
  const liveComponentIds = (await listComponents(tx)).map((c) => c.id);
  const ids = subscribers.map((s) => s.id);
  const known = await findImported(tx, 'statuspage', 'subscriber', ids);
  const taken = await idsTaken(tx, 'subscriber', ids);
  const skip = (id: string, reason: string) => outcome.skipped.push({ kind: 'subscribers', id, reason });

  for (const [index, subscriber] of subscribers.entries()) {
    if (known.has(subscriber.id)) {
      outcome.existing.subscribers += 1;
      continue;
    }
    const record = (targetId: string) =>
      recordImported(tx, { source: 'statuspage', source_page: sourcePage, kind: 'subscriber', source_id: subscriber.id, target_id: targetId, at });

    // Their components: none listed means all; every one of today's components also means all (and those added later).
    let filter = { all: true, ids: [] as string[] };
    if (subscriber.component_ids !== null && subscriber.component_ids.length > 0) {
      const mapped = [...new Set(subscriber.component_ids.map((ref) => components.get(ref)).filter((ref): ref is string => ref !== undefined))];
      if (mapped.length === 0) {
        skip(subscriber.id, 'subscribed only to components that are not in the import');
        continue;
      }
      const everyOne = liveComponentIds.every((id) => mapped.includes(id));
      filter = everyOne ? { all: true, ids: [] } : { all: false, ids: mapped };
    }
    const createdAt = new Date(subscriber.created_at);
    const confirmedAt = subscriber.state === 'unconfirmed' ? null : createdAt;

    if (subscriber.mode === 'email') {
      let email: string;
      try {
        email = parseEmailAddress(`subscribers.${index}.email`, subscriber.email ?? '');
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        skip(subscriber.id, error.message);
        continue;
      }
      const existing = await findActiveEmailSubscriber(tx, email);
      if (existing) {
        await record(existing.id);
        outcome.existing.subscribers += 1;
        continue;
      }
      const id = idFor(ctx, subscriber.id, taken);
      await insertSubscriber(tx, {
        id,
        type: 'email',
        email,
        url: null,
        secret: null,
        all_components: filter.all,
        component_ids: filter.ids,
        source: 'import',
        confirmed_at: confirmedAt,
        at: createdAt,
      });
      if (subscriber.state === 'quarantined')
        await markSuppressed(tx, id, QUARANTINED, subscriber.quarantined_at === null ? at : new Date(subscriber.quarantined_at));
      await record(id);
      outcome.created.subscribers += 1;
      continue;
    }

    const checked = subscriber.endpoint === null ? { ok: false as const, reason: 'has no endpoint' } : options.endpoints.get(subscriber.endpoint);
    if (!checked || !checked.ok) {
      skip(subscriber.id, `webhook endpoint refused: ${checked?.reason ?? 'was not checked'}`);
      continue;
    }
    const existing = await findActiveWebhookSubscriber(tx, checked.url);
    if (existing) {
      await record(existing.id);
      outcome.existing.subscribers += 1;
      continue;
    }
    let owner: string | null = null;
    try {
      owner = subscriber.email ? parseEmailAddress(`subscribers.${index}.email`, subscriber.email) : null;
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
    }
    const id = idFor(ctx, subscriber.id, taken);
    await insertSubscriber(tx, {
      id,
      type: 'webhook',
      email: owner,
      url: checked.url,
      secret: secretsOf(ctx).seal(options.generateWebhookSecret()),
      all_components: filter.all,
      component_ids: filter.ids,
      source: 'import',
      // Statuspage's webhooks need no confirmation: an endpoint is active from its creation.
      confirmed_at: createdAt,
      at: createdAt,
    });
    if (subscriber.state === 'quarantined')
      await markDisabled(tx, id, QUARANTINED, subscriber.quarantined_at === null ? at : new Date(subscriber.quarantined_at));
    await record(id);
    outcome.created.subscribers += 1;
  }
}
