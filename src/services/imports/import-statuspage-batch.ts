/**
 * Moving a Statuspage page over: one batch of what `lifeline import statuspage` read from
 * Statuspage's manage API, already in the fields Lifeline keeps (the CLI picks them and reports
 * the rest). A batch is written in one transaction, all or nothing, with the source's own
 * timestamps, and announces nothing: no outbox event, so no subscriber hears of history.
 *
 * Every record is remembered by its Statuspage id (`imported_record`): a re-run writes only what is
 * new, and the /v1 door reads an old id as the row it became. A new row keeps its Statuspage id
 * as its own id when that id is free, so tools that stored it see the same id in answers too.
 */
import { authorize } from '../../domain/actor.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { touchPage } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { acceptableWebhookUrl, type CheckWebhookUrl } from '../subscribers/webhook-endpoint.ts';
import { ImportStatuspageBatchInput } from './statuspage-batch-input.ts';
import { ValidationError } from '../../domain/errors.ts';
import { importHistory } from './statuspage-history.ts';
import { importStructure } from './statuspage-structure.ts';
import { importSubscribers, type CheckedEndpoint } from './statuspage-subscribers.ts';
import { importTemplates } from './statuspage-templates.ts';
import { emptyOutcome, type ImportOutcome } from './outcome.ts';

export { ImportStatuspageBatchInput };

interface ImportOptions {
  checkWebhookUrl: CheckWebhookUrl;
  generateWebhookSecret: () => string;
}

/** Writes one batch; answers what was created, what was there already, and what was left out and why. */
export async function importStatuspageBatch(ctx: ServiceContext, raw: unknown, options: ImportOptions): Promise<ImportOutcome> {
  authorize(ctx.actor, 'page.import');
  const input = parseInput(ImportStatuspageBatchInput, raw);
  const at = ctx.clock.now();
  // Webhook endpoints go through the SSRF guard (DNS) before the transaction opens: no lock is held while resolving.
  const endpoints = new Map<string, CheckedEndpoint>();
  for (const subscriber of input.subscribers ?? []) {
    if (subscriber.mode !== 'webhook' || subscriber.endpoint === null || endpoints.has(subscriber.endpoint)) continue;
    try {
      endpoints.set(subscriber.endpoint, { ok: true, url: await acceptableWebhookUrl(subscriber.endpoint, options.checkWebhookUrl) });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      endpoints.set(subscriber.endpoint, { ok: false, reason: error.message.replace(/^url: /, '') });
    }
  }
  return ctx.db.transaction(async (tx) => {
    const outcome = emptyOutcome();
    const scope = { tx, ctx, sourcePage: input.page_id, at, outcome };
    if (input.groups || input.components) await importStructure(scope, input.groups ?? [], input.components ?? []);
    if (input.incidents) await importHistory(scope, input.incidents);
    if (input.templates) await importTemplates(scope, input.templates);
    if (input.subscribers) {
      await importSubscribers(scope, input.subscribers, { endpoints, generateWebhookSecret: options.generateWebhookSecret });
    }
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'page.imported',
      target_type: 'page',
      target_id: null,
      details: { source: 'statuspage', source_page: input.page_id, created: outcome.created, existing: outcome.existing, skipped: outcome.skipped.length },
      at,
    });
    await touchPage(tx, at);
    return outcome;
  });
}
