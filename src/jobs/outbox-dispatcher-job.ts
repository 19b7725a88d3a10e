import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import type { DeliveryBatch, Queue } from '../channels/channel.ts';
import { CHAT_PLATFORMS } from '../domain/chat-platform.ts';
import { ALERT_EVENTS, CONFIRMATION_EVENT, ENDPOINT_DISABLED_EVENT, SUBSCRIBER_EVENTS } from '../domain/notification-audience.ts';
import type { Database, Transaction } from '../storage/database.ts';
import {
  claimNextUndispatchedEvent,
  forgetPublished,
  hasWebhooksOnFirstTry,
  insertDeliveryChunk,
  markEventDispatched,
  markEventExpandedThrough,
  releaseAllClaims,
  releaseStaleClaims,
  takeDueForPublishing,
} from '../storage/delivery-repository.ts';

export const OUTBOX_CHANNEL = 'lifeline_outbox';
/**
 * A published delivery still pending after this long is published again (its queue message was
 * lost). Longer than Pub/Sub's lease extension (15 min), so a backlog that is still moving is not
 * published twice; the embedded queue republishes its backlog at start instead.
 */
const REPUBLISH_AFTER_MS = 20 * 60_000;
const BATCH_SIZE = 100;
const EXPANSION_CHUNK = 2_000;
const PUBLISH_CHUNK = 5_000;

/**
 * Where a public notice's expansion stands, stored in `outbox_event.expanded_through` as JSON.
 * Order: a first small chunk of email addresses (so the first emails leave at once), then every
 * webhook endpoint (few, fast to send, and often feeding other tools) followed by every chat
 * channel (Slack, Discord, Teams: HTTP posts in the webhook lane), then the remaining addresses,
 * once the webhooks have left or WEBHOOK_HEAD_START_MS has passed: on a small machine expanding
 * and sending a large email audience would otherwise take most of the CPU the webhooks need.
 */
interface Cursor {
  phase: 'first-emails' | 'webhooks' | 'emails';
  /** When the webhook phase ended (ISO): the remaining addresses wait for the webhooks until then + the head start. */
  webhooksFrom?: string;
  /** The type the webhook phase is at: `webhook` (when absent, as written before chat channels), then each chat platform. */
  hookType?: HookType;
  /** Last subscriber of `hookType` expanded. */
  webhook: string | null;
  /** Last email subscriber expanded; `emailsDone` once the first chunk already covered them all. */
  email: string | null;
  emailsDone?: boolean;
}
const FIRST_EMAIL_CHUNK = 500;
/** The webhook phase walks these types one after the other, each in id order (the subscriber_fanout index). */
const HOOK_TYPES = ['webhook', ...CHAT_PLATFORMS] as const;
type HookType = (typeof HOOK_TYPES)[number];
export const WEBHOOK_HEAD_START_MS = 30_000;

function parseCursor(stored: string | null): Cursor | { legacy: string } {
  if (stored === null) return { phase: 'first-emails', webhook: null, email: null };
  // Written before the phases existed: the last subscriber id, every type.
  return stored.startsWith('{') ? (JSON.parse(stored) as Cursor) : { legacy: stored };
}

/**
 * Expands outbox events into delivery rows (one per subscriber and channel) and publishes due
 * deliveries to the queue in batches. Also the sweeper: releases claims of dead workers and
 * republishes what a lost message left behind. Retry policy: every pass is idempotent, so a
 * failed pass is simply repeated on the next tick.
 */
export function createOutboxDispatcher(deps: { db: Database; clock: Clock; queue: Queue; log: FastifyBaseLogger; claimLeaseMs: number }) {
  const { db, clock, queue, log } = deps;

  /**
   * Expands one chunk of the oldest undispatched event into delivery rows, in its own
   * transaction; returns false when there is nothing left to expand. Chunks keep the first
   * notices leaving within a second even for a very large audience.
   */
  async function expandChunk(): Promise<boolean> {
    // Returns false also when the oldest event waits (the webhooks' head start): the next tick or NOTIFY resumes it.
    return db.transaction(async (tx) => {
      const event = await claimNextUndispatchedEvent(tx);
      if (!event) return false;
      const at = clock.now();
      const payload = event.payload;
      let audience: Parameters<typeof insertDeliveryChunk>[1] | null = null;
      // Confirmations go by email (to the address itself, or to a webhook endpoint's owner), or into the chat channel itself.
      if (event.type === CONFIRMATION_EVENT)
        audience = { id: event.id, componentIds: [], onlySubscriberId: payload.subscriber_id as string, channel: payload.chat === true ? undefined : 'email' };
      else if (event.type === ENDPOINT_DISABLED_EVENT && typeof payload.owner_email === 'string')
        audience = { id: event.id, componentIds: [], onlySubscriberId: payload.subscriber_id as string, channel: 'email' };
      else if ((SUBSCRIBER_EVENTS as readonly string[]).includes(event.type) && payload.deliver_notifications === true) {
        audience = { id: event.id, componentIds: (payload.component_ids as string[] | undefined) ?? [] };
      } else if ((ALERT_EVENTS as readonly string[]).includes(event.type) && typeof payload.metric === 'string') {
        audience = { id: event.id, componentIds: [], alertMetric: payload.metric };
      }
      if (!audience) {
        await markEventDispatched(tx, event.id, at);
        return true;
      }
      const cursor = audience.onlySubscriberId || audience.alertMetric ? { legacy: event.expanded_through } : parseCursor(event.expanded_through);
      if (!('legacy' in cursor) && (await webhooksStillLeaving(tx, event.id, cursor, at))) return false;
      const next = 'legacy' in cursor ? await expandLegacy(tx, audience, cursor.legacy, at) : await expandPhase(tx, audience, cursor, at);
      if (next === null) {
        await markEventDispatched(tx, event.id, at);
        log.info({ event: event.id, type: event.type }, 'notice fanned out');
      } else {
        await markEventExpandedThrough(tx, event.id, next);
      }
      return true;
    });
  }

  type Audience = Parameters<typeof insertDeliveryChunk>[1];

  /** One chunk of every matching subscriber after `after`; returns the cursor to store, or null when done. */
  async function expandLegacy(tx: Transaction, audience: Audience, after: string | null, at: Date): Promise<string | null> {
    const chunk = await insertDeliveryChunk(tx, audience, { after, limit: EXPANSION_CHUNK }, at);
    return chunk.covered === EXPANSION_CHUNK ? (chunk.lastId as string) : null;
  }

  /** In the last phase, within the head start: are some of this event's webhooks still on their first try? */
  async function webhooksStillLeaving(tx: Transaction, eventId: number, cursor: Cursor, at: Date): Promise<boolean> {
    if (cursor.phase !== 'emails' || !cursor.webhooksFrom) return false;
    if (at.getTime() - Date.parse(cursor.webhooksFrom) < WEBHOOK_HEAD_START_MS && (await hasWebhooksOnFirstTry(tx, eventId))) return true;
    delete cursor.webhooksFrom; // settled: the next chunks do not ask again
    return false;
  }

  /** One chunk of a public notice's current phase; returns the next cursor (JSON), or null when done. */
  async function expandPhase(tx: Transaction, audience: Audience, cursor: Cursor, at: Date): Promise<string | null> {
    const hookType = cursor.hookType ?? 'webhook';
    const type = cursor.phase === 'webhooks' ? hookType : 'email';
    const limit = cursor.phase === 'first-emails' ? FIRST_EMAIL_CHUNK : EXPANSION_CHUNK;
    const chunk = await insertDeliveryChunk(tx, { ...audience, subscriberType: type }, { after: type === 'email' ? cursor.email : cursor.webhook, limit }, at);
    const full = chunk.covered === limit;
    const nextHookType = HOOK_TYPES[HOOK_TYPES.indexOf(hookType) + 1];
    let next: Cursor | null;
    if (cursor.phase === 'first-emails') next = { phase: 'webhooks', webhook: null, email: chunk.lastId, emailsDone: !full };
    else if (cursor.phase === 'webhooks') {
      if (full) next = { ...cursor, webhook: chunk.lastId };
      else if (nextHookType) next = { ...cursor, hookType: nextHookType, webhook: null };
      else next = cursor.emailsDone ? null : { ...cursor, phase: 'emails', webhooksFrom: at.toISOString() };
    } else next = full ? { ...cursor, email: chunk.lastId } : null;
    return next && JSON.stringify(next);
  }

  async function publishDue(): Promise<number> {
    let published = 0;
    for (;;) {
      const now = clock.now();
      const due = await takeDueForPublishing(db, now, new Date(now.getTime() - REPUBLISH_AFTER_MS), PUBLISH_CHUNK);
      if (due.length === 0) return published;
      const batches: DeliveryBatch[] = [];
      // Webhooks and chat channels (HTTP posts) share the webhook lane; emails have their own.
      for (const lane of ['webhook', 'email'] as const) {
        const ids = due.filter((d) => (d.channel !== 'email') === (lane === 'webhook')).map((d) => d.id);
        for (let i = 0; i < ids.length; i += BATCH_SIZE)
          batches.push(lane === 'webhook' ? { deliveryIds: ids.slice(i, i + BATCH_SIZE), lane } : { deliveryIds: ids.slice(i, i + BATCH_SIZE) });
      }
      await queue.publish(batches);
      published += due.length;
      if (due.length < PUBLISH_CHUNK) return published;
    }
  }

  let running: Promise<void> | null = null;
  let again = false;
  /** One pass: expand new events, release stale claims, publish what is due. Coalesces concurrent calls. */
  function run(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        // Publish after every chunk, so sending starts while a large audience is still expanding.
        while (await expandChunk()) await publishDue();
        const released = await releaseStaleClaims(db, new Date(clock.now().getTime() - deps.claimLeaseMs));
        if (released > 0) log.warn({ released }, 'released deliveries claimed by a worker that stopped');
        await publishDue();
      } while (again);
    })()
      .catch((error) => log.error({ err: error }, 'dispatch pass failed; retrying on the next tick'))
      .finally(() => {
        running = null;
      });
    return running;
  }

  /**
   * On embedded PGlite this is the only process on the data directory, so every claim left in the
   * database belongs to a process that died: release them at once instead of after the lease.
   */
  async function releaseClaimsOfDeadProcess(): Promise<number> {
    return releaseAllClaims(db);
  }

  /** The embedded queue lives in memory: at start, whatever was published to it before is published again. */
  async function republishBacklog(): Promise<void> {
    await forgetPublished(db);
  }

  return { run, publishDue, releaseClaimsOfDeadProcess, republishBacklog };
}
