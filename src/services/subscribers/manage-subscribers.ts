import { authorize } from '../../domain/actor.ts';
import { parseEmailAddress } from '../../domain/email-address.ts';
import { URL_MAX } from '../../domain/validation.ts';
import { CONFIRMATION_EVENT } from '../../domain/notification-audience.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import type { Subscriber } from '../../domain/model.ts';
import { insertAudit, insertOutboxEvent } from '../../storage/audit-repository.ts';
import type { Queryable } from '../../storage/database.ts';
import { killPendingForSubscriber } from '../../storage/delivery-repository.ts';
import { findComponentsByIdOrKey } from '../../storage/page-repository.ts';
import {
  clearDeliveryBlocks, findActiveEmailSubscriber, findActiveWebhookSubscriber, findConfirmationSentAt, findSubscriber, findWebhookSecret, insertSubscriber,
  markConfirmationSent, markConfirmed, markUnsubscribed, setComponentFilter, setSecret,
} from '../../storage/subscriber-repository.ts';
import { secretsOf, type ServiceContext } from '../context.ts';

/** Resending a confirmation to one address at most this often, whatever the rate limits upstream. */
const CONFIRMATION_RESEND_MS = 60_000;

/** A subscriber's or webhook owner's address, by the one shared rule (plain local@domain, normalised). */
export function normaliseEmail(value: unknown, field = 'email'): string {
  return parseEmailAddress(field, value);
}

function requireUrlLength(url: string): void {
  if (url.length > URL_MAX) throw new ValidationError('url', `must be at most ${URL_MAX} characters`);
}

/**
 * One endpoint, one spelling: the URL as the WHATWG parser writes it (scheme and host lower-cased,
 * default port and dot segments dropped), without the fragment, which is never sent. Otherwise
 * every spelling of one endpoint was a subscriber of its own, each sent every notice. Text that
 * is not a URL is left as it is, for the URL check to refuse.
 */
function normaliseWebhookUrl(url: string): string {
  const text = url.trim();
  if (!URL.canParse(text)) return text;
  const parsed = new URL(text);
  parsed.hash = '';
  return parsed.href;
}

/** Resolves component ids or keys to ids; an empty or missing list means "all components". */
async function resolveComponentFilter(db: Queryable, refs: string[] | undefined, field = 'component_ids'): Promise<{ all: boolean; ids: string[] }> {
  if (!refs || refs.length === 0) return { all: true, ids: [] };
  const found = await findComponentsByIdOrKey(db, refs);
  const ids: string[] = [];
  for (const [index, ref] of refs.entries()) {
    const component = found.find((c) => c.id === ref || c.key === ref);
    if (!component) throw new ValidationError(`${field}.${index}`, `no such component ${JSON.stringify(ref)}`);
    if (!ids.includes(component.id)) ids.push(component.id);
  }
  return { all: false, ids };
}

async function requestConfirmation(tx: Queryable, ctx: ServiceContext, subscriber: Subscriber, at: Date, lastSentAt: Date | null): Promise<void> {
  if (lastSentAt && at.getTime() - lastSentAt.getTime() < CONFIRMATION_RESEND_MS) return;
  await markConfirmationSent(tx, subscriber.id, at);
  await insertOutboxEvent(tx, { type: CONFIRMATION_EVENT, payload: { subscriber_id: subscriber.id, already_confirmed: subscriber.confirmed_at !== null }, at });
}

/**
 * Email sign-up. Public sign-ups always confirm by email (double opt-in); responders importing an
 * already-consented list may pass `confirmed`. A public sign-up for an address already subscribed
 * sends that address a "manage" link instead, and answers the same: no enumeration.
 */
export async function subscribeByEmail(
  ctx: ServiceContext,
  input: { email: unknown; component_ids?: string[]; confirmed?: boolean; source: 'public' | 'api' | 'import' },
): Promise<{ subscriber: Subscriber; created: boolean }> {
  const email = normaliseEmail(input.email);
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const filter = await resolveComponentFilter(tx, input.component_ids);
    const existing = await findActiveEmailSubscriber(tx, email);
    if (existing) {
      if (input.source !== 'public') throw new ConflictError(`email: ${email} is already subscribed (subscriber ${existing.id})`);
      const lastSentAt = await findConfirmationSentAt(tx, existing.id);
      if (!existing.confirmed_at) await setComponentFilter(tx, existing.id, filter, at);
      await requestConfirmation(tx, ctx, existing, at, lastSentAt);
      return { subscriber: existing, created: false };
    }
    const subscriber = await insertSubscriber(tx, {
      id: ctx.ids.id(), type: 'email', email, url: null, secret: null, all_components: filter.all, component_ids: filter.ids,
      source: input.source, confirmed_at: input.confirmed && input.source !== 'public' ? at : null, at,
    });
    await insertAudit(tx, { actor: ctx.actor.label, action: 'subscriber.created', target_type: 'subscriber', target_id: subscriber.id, details: { type: 'email', source: input.source, confirmed: subscriber.confirmed_at !== null }, at });
    if (!subscriber.confirmed_at) await requestConfirmation(tx, ctx, subscriber, at, null);
    return { subscriber, created: true };
  });
}

/** A webhook endpoint registered by a responder: active at once; its secret is returned this once. */
export async function registerWebhook(
  ctx: ServiceContext,
  input: { url: string; component_ids?: string[]; email?: string },
  checkUrl: (url: string) => Promise<{ ok: true } | { ok: false; reason: string }>,
  generateSecret: () => string,
): Promise<{ subscriber: Subscriber; secret: string }> {
  authorize(ctx.actor, 'subscriber.manage');
  input = { ...input, url: normaliseWebhookUrl(input.url) };
  requireUrlLength(input.url);
  const check = await checkUrl(input.url);
  if (!check.ok) throw new ValidationError('url', check.reason);
  const owner = input.email === undefined ? null : normaliseEmail(input.email);
  const at = ctx.clock.now();
  const secret = generateSecret();
  return ctx.db.transaction(async (tx) => {
    const filter = await resolveComponentFilter(tx, input.component_ids);
    const existing = await findActiveWebhookSubscriber(tx, input.url);
    if (existing) throw new ConflictError(`url: this endpoint is already subscribed (subscriber ${existing.id})`);
    const subscriber = await insertSubscriber(tx, {
      id: ctx.ids.id(), type: 'webhook', email: owner, url: input.url, secret: secretsOf(ctx).seal(secret), all_components: filter.all, component_ids: filter.ids, source: 'api', confirmed_at: at, at,
    });
    await insertAudit(tx, { actor: ctx.actor.label, action: 'subscriber.created', target_type: 'subscriber', target_id: subscriber.id, details: { type: 'webhook', url: input.url }, at });
    return { subscriber, secret };
  });
}

/**
 * A webhook endpoint signed up from the public page: nothing is sent to it until its owner
 * confirms by email (the confirmation page then shows the signing secret, once). A sign-up for
 * an endpoint already subscribed mails its recorded owner a manage link and answers the same.
 */
export async function requestWebhookSubscription(
  ctx: ServiceContext,
  input: { url: string; email: string; component_ids?: string[] },
  checkUrl: (url: string) => Promise<{ ok: true } | { ok: false; reason: string }>,
  generateSecret: () => string,
): Promise<void> {
  const owner = normaliseEmail(input.email);
  input = { ...input, url: normaliseWebhookUrl(input.url) };
  requireUrlLength(input.url);
  const check = await checkUrl(input.url);
  if (!check.ok) throw new ValidationError('url', check.reason);
  const at = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    const filter = await resolveComponentFilter(tx, input.component_ids);
    const existing = await findActiveWebhookSubscriber(tx, input.url);
    if (existing) {
      const lastSentAt = await findConfirmationSentAt(tx, existing.id);
      // Only the recorded owner hears about it; an endpoint without one (registered by a responder) is left alone.
      if (existing.email) await requestConfirmation(tx, ctx, existing, at, lastSentAt);
      return;
    }
    const subscriber = await insertSubscriber(tx, {
      id: ctx.ids.id(), type: 'webhook', email: owner, url: input.url, secret: secretsOf(ctx).seal(generateSecret()), all_components: filter.all, component_ids: filter.ids, source: 'public', confirmed_at: null, at,
    });
    await insertAudit(tx, { actor: ctx.actor.label, action: 'subscriber.created', target_type: 'subscriber', target_id: subscriber.id, details: { type: 'webhook', source: 'public', url: input.url }, at });
    await requestConfirmation(tx, ctx, subscriber, at, null);
  });
}

/** A new signing secret for a webhook endpoint (the old one stops working at once); returned this once. */
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

/** Confirms a subscription; `secret` is the webhook signing secret, returned only by the confirmation that activates it. */
export async function confirmSubscriber(ctx: ServiceContext, subscriberId: string): Promise<Subscriber & { secret: string | null }> {
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, subscriberId);
    if (!subscriber || subscriber.unsubscribed_at) throw new NotFoundError('subscription', subscriberId);
    if (subscriber.confirmed_at) return { ...subscriber, secret: null };
    await markConfirmed(tx, subscriber.id, at);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'subscriber.confirmed', target_type: 'subscriber', target_id: subscriber.id, at });
    const secret = subscriber.type === 'webhook' ? await findWebhookSecret(tx, subscriber.id, secretsOf(ctx)) : null;
    return { ...subscriber, confirmed_at: at, secret };
  });
}

export async function updateSubscription(ctx: ServiceContext, subscriberId: string, input: { component_ids?: string[] }): Promise<Subscriber> {
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, subscriberId);
    if (!subscriber || subscriber.unsubscribed_at) throw new NotFoundError('subscription', subscriberId);
    const filter = await resolveComponentFilter(tx, input.component_ids);
    await setComponentFilter(tx, subscriber.id, filter, at);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'subscriber.updated', target_type: 'subscriber', target_id: subscriber.id, details: { components: filter.all ? 'all' : filter.ids }, at });
    return { ...subscriber, all_components: filter.all, component_ids: filter.ids };
  });
}

/** Unsubscribes (or, from the API, removes) a subscriber; its pending deliveries are dropped. Idempotent. */
export async function unsubscribe(ctx: ServiceContext, subscriberId: string, reason: 'unsubscribed' | 'removed'): Promise<Subscriber> {
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, subscriberId);
    if (!subscriber) throw new NotFoundError('subscriber', subscriberId);
    if (subscriber.unsubscribed_at) return subscriber;
    await markUnsubscribed(tx, subscriber.id, at);
    await killPendingForSubscriber(tx, subscriber.id, reason);
    await insertAudit(tx, { actor: ctx.actor.label, action: `subscriber.${reason}`, target_type: 'subscriber', target_id: subscriber.id, at });
    return { ...subscriber, unsubscribed_at: at };
  });
}

/** Turns a disabled (or suppressed) subscriber back on, e.g. once a broken webhook endpoint is fixed. */
export async function reactivateSubscriber(ctx: ServiceContext, subscriberId: string): Promise<Subscriber> {
  authorize(ctx.actor, 'subscriber.manage');
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const subscriber = await findSubscriber(tx, subscriberId);
    if (!subscriber || subscriber.unsubscribed_at) throw new NotFoundError('subscriber', subscriberId);
    await clearDeliveryBlocks(tx, subscriberId, at);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'subscriber.reactivated', target_type: 'subscriber', target_id: subscriberId, at });
    return { ...subscriber, disabled_at: null, disabled_reason: null, suppressed_at: null, suppressed_reason: null };
  });
}

export interface ImportResult {
  created: number;
  existing: number;
  invalid: { line: number; error: string }[];
}

/**
 * Imports email subscribers from parsed CSV rows (`email`, optional `components`: keys or ids
 * separated by spaces or semicolons). Valid rows are added even when others are invalid; each
 * invalid row is reported with its line and reason. `confirmed` marks an already-consented list.
 */
export async function importEmailSubscribers(ctx: ServiceContext, rows: { line: number; email: string; components: string }[], options: { confirmed: boolean }): Promise<ImportResult> {
  authorize(ctx.actor, 'subscriber.manage');
  const result: ImportResult = { created: 0, existing: 0, invalid: [] };
  for (const row of rows) {
    try {
      const componentIds = row.components.split(/[\s;]+/).filter(Boolean);
      await subscribeByEmail(ctx, { email: row.email, component_ids: componentIds, confirmed: options.confirmed, source: 'import' });
      result.created += 1;
    } catch (error) {
      if (error instanceof ConflictError) result.existing += 1;
      else if (error instanceof ValidationError) result.invalid.push({ line: row.line, error: error.message });
      else throw error;
    }
  }
  return result;
}
