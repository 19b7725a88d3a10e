import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import {
  slotMarker,
  type ChatChannel,
  type DeliveryBatch,
  type EmailChannel,
  type EmailLayout,
  type SendOutcome,
  type WebhookChannel,
} from '../channels/channel.ts';
import { CHAT_PLATFORM_LABELS, isChatPlatform, type ChatPlatform } from '../domain/chat-platform.ts';
import { signLinkToken } from '../domain/link-token.ts';
import type { Delivery, OutboxEvent, Subscriber } from '../domain/model.ts';
import { ALERT_EVENTS, CONFIRMATION_EVENT, ENDPOINT_DISABLED_EVENT } from '../domain/notification-audience.ts';
import { nextRetryDelay, WEBHOOK_DISABLE_AFTER_MS } from '../domain/retry-policy.ts';
import { buildAlertWebhookBody, renderAlertEmail, type AlertPayload } from '../presenters/alert.ts';
import { chatConfirmationContent, chatMessageBody, chatNoticeContent } from '../presenters/chat-message.ts';
import { buildNotice, buildWebhookBody, renderConfirmationEmail, renderEndpointDisabledEmail, renderNoticeEmail, type Notice } from '../presenters/notice.ts';
import type { TemplateRenderer } from '../presenters/template-renderer.ts';
import { loadNoticeData, NoticeSubjectGone, type NoticeData } from '../queries/load-notice-data.ts';
import type { Database } from '../storage/database.ts';
import { PLAIN_BOX, type SecretBox } from '../storage/secret-box.ts';
import { claimDeliveries, killPendingForSubscriber, loadEvents, markDead, markRetry, markSent, renewClaims } from '../storage/delivery-repository.ts';
import { insertAudit, insertOutboxEvent } from '../storage/audit-repository.ts';
import { loadSubscribersForDelivery, markDisabled, markSuppressed, markWebhookResult } from '../storage/subscriber-repository.ts';
import { findChatMessage, rememberChatMessage } from '../storage/chat-message-repository.ts';

const CONFIRM_LINK_TTL_S = 48 * 3600;
const isAlert = (event: OutboxEvent) => (ALERT_EVENTS as readonly string[]).includes(event.type);
const SENDS_IN_FLIGHT = 32;

export interface DeliveryWorkerDeps {
  db: Database;
  clock: Clock;
  random: () => number;
  email: EmailChannel;
  webhook: WebhookChannel;
  /** Slack, Discord and Teams incoming webhooks. */
  chat: ChatChannel;
  publicUrl: string;
  linkKey: () => string;
  mailFrom: string;
  /** Claims older than this are taken back by the dispatcher; held claims are renewed well before. */
  claimLeaseMs: number;
  log: FastifyBaseLogger;
  /** Opens the stored webhook signing secrets (LIFELINE_SECRET_KEY); plain when absent. */
  secrets?: SecretBox;
  /** The email templates, loaded once at start (app.views). */
  views: TemplateRenderer;
  /** Runs fn every ms until the returned stop is called; injectable so tests need not wait. Default: an unref'd setInterval. */
  every?: (fn: () => void, ms: number) => () => void;
}

const everyInterval = (fn: () => void, ms: number) => {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * Handles one queue batch: claims its due deliveries (a redelivered batch claims nothing, so it
 * sends nothing twice), sends each, and records the outcome right after the send. The only
 * duplicate window is a crash between a receiver accepting a message and that record.
 */
export function createDeliveryWorker(deps: DeliveryWorkerDeps) {
  const { db, clock, log } = deps;
  const host = new URL(deps.publicUrl).hostname;
  const mailDomain = /@([^>\s]+)>?\s*$/.exec(deps.mailFrom)?.[1] ?? host;
  const notices = new Map<number, Promise<{ data: NoticeData; notice: Notice | null; layout: EmailLayout | null }>>();
  const listId = (data: NoticeData) => `${data.page.name.replace(/[^\w .-]/g, '')} status <status.${host}>`;

  /** A notice's email as every subscriber gets it, their own links left as slots: rendered once per event. */
  const noticeLayout = (notice: Notice, data: NoticeData): EmailLayout => ({
    ...renderNoticeEmail(deps.views, notice, data, { manageUrl: slotMarker('manage'), unsubscribeUrl: slotMarker('unsubscribe') }),
    headers: { 'List-Id': listId(data), 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  });

  const noticeFor = (event: OutboxEvent) => {
    let pending = notices.get(event.id);
    if (!pending) {
      if (notices.size > 200) notices.delete(notices.keys().next().value as number);
      const personal = event.type === CONFIRMATION_EVENT || event.type === ENDPOINT_DISABLED_EVENT || isAlert(event);
      pending = loadNoticeData(db, event, deps.publicUrl).then((data) => {
        const notice = personal ? null : buildNotice(deps.views, data);
        return { data, notice, layout: notice && noticeLayout(notice, data) };
      });
      pending.catch(() => notices.delete(event.id));
      notices.set(event.id, pending);
    }
    return pending;
  };

  const links = (subscriberId: string) => {
    const manage = signLinkToken({ subscriberId, purpose: 'manage', expiresAt: null }, deps.linkKey());
    const unsubscribe = signLinkToken({ subscriberId, purpose: 'unsubscribe', expiresAt: null }, deps.linkKey());
    return { manageUrl: `${deps.publicUrl}/manage/${manage}`, unsubscribeUrl: `${deps.publicUrl}/unsubscribe/${unsubscribe}`, unsubscribeToken: unsubscribe };
  };

  const confirmUrl = (subscriberId: string, event: OutboxEvent) =>
    `${deps.publicUrl}/subscribe/confirm/${signLinkToken({ subscriberId, purpose: 'confirm', expiresAt: Math.floor(event.created_at.getTime() / 1000) + CONFIRM_LINK_TTL_S }, deps.linkKey())}`;

  /**
   * A chat channel's message: its confirmation, or a notice in the platform's format. On Discord the
   * first message about an incident is kept current: each later notice is posted and that first
   * message edited to match (best effort: the post decides the outcome).
   */
  async function sendChat(platform: ChatPlatform, event: OutboxEvent, subscriber: Subscriber & { secret: string | null }): Promise<SendOutcome> {
    const { data, notice } = await noticeFor(event);
    // A chat subscriber's sealed secret is its incoming-webhook URL.
    const url = subscriber.secret;
    if (!url) return { ok: false, permanent: true, error: 'chat subscriber has no URL' };
    const link = links(subscriber.id);
    if (event.type === CONFIRMATION_EVENT) {
      const content = chatConfirmationContent({
        pageName: data.page.name,
        platform,
        confirmUrl: confirmUrl(subscriber.id, event),
        manageUrl: link.manageUrl,
        alreadyConfirmed: event.payload.already_confirmed === true,
        at: clock.now(),
      });
      return deps.chat.post({ platform, url, body: chatMessageBody(platform, content) });
    }
    if (!notice) return { ok: false, permanent: true, error: `${event.type} is not sent to chat channels` };
    const body = chatMessageBody(platform, chatNoticeContent(notice, data, link, clock.now()));
    const outcome = await deps.chat.post({ platform, url, body });
    const incidentId = data.incident?.id;
    if (platform !== 'discord' || !outcome.ok || !incidentId) return outcome;
    try {
      const first = await findChatMessage(db, incidentId, subscriber.id);
      if (!first && outcome.messageId)
        await rememberChatMessage(db, { incidentId, subscriberId: subscriber.id, messageId: outcome.messageId, at: clock.now() });
      if (first) {
        const edited = await deps.chat.editDiscordMessage({ url, messageId: first, body });
        if (!edited.ok) log.info({ subscriber: subscriber.id, error: edited.error }, 'could not bring the first Discord message up to date');
      }
    } catch (error) {
      log.warn({ err: error, subscriber: subscriber.id }, 'could not keep the Discord message current');
    }
    return outcome;
  }

  async function send(delivery: Delivery, event: OutboxEvent, subscriber: Subscriber & { secret: string | null }): Promise<SendOutcome> {
    if (isChatPlatform(delivery.channel)) return sendChat(delivery.channel, event, subscriber);
    const { data, notice, layout } = await noticeFor(event);
    if (isAlert(event)) {
      const payload = event.payload as unknown as AlertPayload;
      if (delivery.channel === 'webhook') {
        if (!subscriber.url || !subscriber.secret) return { ok: false, permanent: true, error: 'alert webhook has no url or secret' };
        return deps.webhook.send({
          url: subscriber.url,
          secret: subscriber.secret,
          messageId: `msg_${event.id}_${subscriber.id}`,
          timestamp: clock.now(),
          body: buildAlertWebhookBody(event.type, payload, data.page, deps.publicUrl, clock.now()),
        });
      }
      return deps.email.send({
        to: subscriber.email as string,
        ...renderAlertEmail(deps.views, event.type, payload, data.page, deps.publicUrl),
        messageId: `<delivery-${delivery.id}.${event.id}@${host}>`,
        headers: { 'X-Lifeline-Alert': event.type },
      });
    }
    const link = links(subscriber.id);
    if (delivery.channel === 'webhook') {
      if (!subscriber.url || !subscriber.secret || !notice) return { ok: false, permanent: true, error: 'webhook subscriber has no url or secret' };
      return deps.webhook.send({
        url: subscriber.url,
        secret: subscriber.secret,
        messageId: `msg_${event.id}_${subscriber.id}`,
        timestamp: clock.now(),
        body: buildWebhookBody(notice, data, link, clock.now()),
      });
    }
    if (layout) {
      return deps.email.sendCopy(layout, {
        to: subscriber.email as string,
        messageId: `<delivery-${delivery.id}.${event.id}@${host}>`,
        slots: {
          manage: { text: link.manageUrl, html: deps.views.escape(link.manageUrl) },
          unsubscribe: { text: link.unsubscribeUrl, html: deps.views.escape(link.unsubscribeUrl) },
        },
        headers: { 'List-Unsubscribe': `<${link.unsubscribeUrl}>, <mailto:unsubscribe@${mailDomain}?subject=unsubscribe%20${link.unsubscribeToken}>` },
      });
    }
    const content =
      event.type === ENDPOINT_DISABLED_EVENT
        ? renderEndpointDisabledEmail(deps.views, {
            pageName: data.page.name,
            publicUrl: deps.publicUrl,
            url: subscriber.url ?? '',
            reason: String(event.payload.reason ?? ''),
            byResponder: event.payload.by_responder === true,
            what: isChatPlatform(subscriber.type) ? `${CHAT_PLATFORM_LABELS[subscriber.type]} channel subscription` : 'webhook endpoint',
            gone: event.payload.gone === true,
          })
        : renderConfirmationEmail(deps.views, {
            pageName: data.page.name,
            publicUrl: deps.publicUrl,
            manageUrl: link.manageUrl,
            alreadyConfirmed: event.payload.already_confirmed === true,
            webhookUrl: subscriber.type === 'webhook' ? subscriber.url : null,
            confirmUrl: confirmUrl(subscriber.id, event),
          });
    return deps.email.send({
      to: subscriber.email as string,
      ...content,
      messageId: `<delivery-${delivery.id}.${event.id}@${host}>`,
      headers: { 'List-Id': listId(data) },
    });
  }

  /**
   * Records accepted sends by group commit: a send that completes while another group's UPDATE is
   * running waits for it, then the waiting ones go in one statement. Under load that is one
   * statement for many sends; alone, a send is recorded at once, so the window in which a crash
   * sends something twice stays as narrow as with a statement per send.
   */
  class SentLog {
    private waiting: { id: number; at: Date }[] = [];
    private writing: Promise<void> | null = null;

    async add(id: number, at: Date): Promise<void> {
      this.waiting.push({ id, at });
      // Whoever writes next takes everything waiting, ours included.
      while (this.writing) await this.writing.catch(() => {});
      if (this.waiting.length === 0) return;
      const sent = this.waiting;
      this.waiting = [];
      this.writing = markSent(db, sent).finally(() => (this.writing = null));
      await this.writing;
    }
  }

  /** One for the worker: concurrent batches share their statements. */
  const sent = new SentLog();

  async function record(delivery: Delivery, subscriber: Subscriber & { failing_since?: Date | null }, outcome: SendOutcome): Promise<void> {
    const now = clock.now();
    // A success to an endpoint that was not failing changes nothing: skip the write (it halves database work per webhook).
    if (delivery.channel !== 'email' && (!outcome.ok || subscriber.failing_since)) {
      const failingSince = await markWebhookResult(db, subscriber.id, outcome.ok, now);
      if (!outcome.ok && failingSince && now.getTime() - failingSince.getTime() > WEBHOOK_DISABLE_AFTER_MS) {
        await disable(subscriber, `failing since ${failingSince.toISOString()}: ${outcome.error}`, now);
      }
    }
    if (outcome.ok) return sent.add(delivery.id, now);
    if (outcome.disable) await disable(subscriber, outcome.error, now, { gone: true });
    if (outcome.permanent) {
      if (delivery.channel === 'email') await suppress(subscriber, outcome.error, now);
      return markDead(db, delivery.id, outcome.error);
    }
    // Chat channels retry on the webhook schedule.
    const delay = nextRetryDelay(delivery.channel === 'email' ? 'email' : 'webhook', delivery.attempts, {
      retryAfterMs: outcome.retryAfterMs,
      random: deps.random(),
    });
    if (delay === null) return markDead(db, delivery.id, `gave up after ${delivery.attempts} attempts: ${outcome.error}`);
    return markRetry(db, delivery.id, new Date(now.getTime() + delay), outcome.error);
  }

  async function suppress(subscriber: Subscriber, reason: string, at: Date) {
    await db.transaction(async (tx) => {
      await markSuppressed(tx, subscriber.id, reason, at);
      await killPendingForSubscriber(tx, subscriber.id, `address suppressed: ${reason}`);
      await insertAudit(tx, {
        actor: 'system:delivery',
        action: 'subscriber.suppressed',
        target_type: 'subscriber',
        target_id: subscriber.id,
        details: { reason },
        at,
      });
    });
    log.warn({ subscriber: subscriber.id, reason }, 'email address suppressed after a hard bounce');
  }

  async function disable(subscriber: Subscriber, reason: string, at: Date, options: { gone?: boolean } = {}) {
    await db.transaction(async (tx) => {
      await markDisabled(tx, subscriber.id, reason, at);
      await killPendingForSubscriber(tx, subscriber.id, `endpoint disabled: ${reason}`);
      // Its owner hears about it by email (the one channel that still works for them).
      if (subscriber.email)
        await insertOutboxEvent(tx, {
          type: ENDPOINT_DISABLED_EVENT,
          payload: { subscriber_id: subscriber.id, owner_email: subscriber.email, reason, ...(options.gone ? { gone: true } : {}) },
          at,
        });
      await insertAudit(tx, {
        actor: 'system:delivery',
        action: 'subscriber.disabled',
        target_type: 'subscriber',
        target_id: subscriber.id,
        details: { reason },
        at,
      });
    });
    log.warn({ subscriber: subscriber.id, type: subscriber.type, reason }, 'webhook endpoint or chat channel disabled');
  }

  async function deliver(
    delivery: Delivery,
    event: OutboxEvent | undefined,
    subscriber: (Subscriber & { secret: string | null; failing_since: Date | null }) | undefined,
  ): Promise<void> {
    try {
      if (!event || !subscriber) return await markDead(db, delivery.id, 'event or subscriber no longer exists');
      // The notice that an endpoint was disabled goes to its owner by email, so that state does not stop it.
      const disabled = subscriber.disabled_at && event.type !== ENDPOINT_DISABLED_EVENT;
      const inactive = subscriber.unsubscribed_at ? 'unsubscribed' : subscriber.suppressed_at ? 'address suppressed' : disabled ? 'endpoint disabled' : null;
      if (inactive) return await markDead(db, delivery.id, inactive);
      await record(delivery, subscriber, await send(delivery, event, subscriber));
    } catch (error) {
      // A deleted incident: retrying would never succeed, so the delivery ends here with the reason.
      if (error instanceof NoticeSubjectGone) {
        await markDead(db, delivery.id, error.message).catch((failure: unknown) => log.error({ err: failure, delivery: delivery.id }, 'could not dead-letter'));
        return;
      }
      // A bug or the database: leave the claim; the sweeper releases it after the lease.
      log.error({ err: error, delivery: delivery.id }, 'delivery failed unexpectedly');
    }
  }

  async function handle(batch: DeliveryBatch): Promise<void> {
    const claimed = await claimDeliveries(db, batch.deliveryIds, clock.now());
    if (claimed.length === 0) return;
    const [events, subscribers] = await Promise.all([
      loadEvents(db, [...new Set(claimed.map((d) => d.event_id))]),
      loadSubscribersForDelivery(db, [...new Set(claimed.map((d) => d.subscriber_id))], deps.secrets ?? PLAIN_BOX),
    ]);
    // Renew what is still held, so a batch slowed by a slow relay is not released and sent twice.
    const held = new Set(claimed.map((d) => d.id));
    const stopRenewing = (deps.every ?? everyInterval)(
      () => {
        renewClaims(db, [...held], clock.now()).catch((error) => log.warn({ err: error }, 'could not renew delivery claims'));
      },
      Math.max(1_000, deps.claimLeaseMs / 3),
    );
    let next = 0;
    const lane = async () => {
      while (next < claimed.length) {
        const delivery = claimed[next++];
        await deliver(delivery, events.get(delivery.event_id), subscribers.get(delivery.subscriber_id));
        held.delete(delivery.id);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(SENDS_IN_FLIGHT, claimed.length) }, lane));
    } finally {
      stopRenewing();
    }
  }

  return { handle };
}
