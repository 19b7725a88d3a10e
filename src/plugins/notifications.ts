import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ChatChannel, EmailChannel, Queue, WebhookChannel } from '../channels/channel.ts';
import { createChatChannel } from '../channels/chat-channel.ts';
import { createEmailChannel } from '../channels/email-channel.ts';
import { createEmbeddedQueue } from '../channels/embedded-queue.ts';
import { createPubSubQueue } from '../channels/pubsub-queue.ts';
import { checkWebhookUrl } from '../channels/ssrf-guard.ts';
import { createWebhookChannel, generateWebhookSecret } from '../channels/webhook-channel.ts';
import { createDeliveryWorker } from '../jobs/delivery-worker.ts';
import { createOutboxDispatcher, OUTBOX_CHANNEL } from '../jobs/outbox-dispatcher-job.ts';
import { subscriberRoutes } from '../routes/api/subscribers.ts';
import { subscriptionRoutes } from '../routes/subscriptions/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    notifications: { queue: Queue; email: EmailChannel | null; webhook: WebhookChannel | null; chat: ChatChannel | null; dispatch(): Promise<void> };
  }
}

/** How often the dispatcher looks for due retries and lost batches when nothing wakes it. */
const DISPATCH_TICK_MS = 2_000;

/**
 * Flow 1, declare → notify: the queue (Pub/Sub or embedded), the outbox dispatcher, the delivery
 * worker with its email and webhook channels, and the subscriber routes. The web role publishes
 * nothing itself: its writes land in the outbox, which the worker role dispatches.
 */
export const notificationsPlugin = fp(async (app: FastifyInstance) => {
  const env = app.config.env;
  const web = app.config.roles.includes('web');
  const worker = app.config.roles.includes('worker');
  const allowPrivate = env.LIFELINE_ALLOW_PRIVATE_WEBHOOKS;

  if (web) {
    const check = (url: string) => checkWebhookUrl(url, { allowPrivate });
    // Chat URLs go through the same SSRF guard; with private webhooks allowed (tests), a loopback URL stands in for any platform.
    const webhookOptions = {
      checkWebhookUrl: check,
      generateWebhookSecret: () => generateWebhookSecret(),
      chatUrls: { checkUrl: check, allowLoopback: allowPrivate },
    };
    await app.register(subscriptionRoutes, webhookOptions);
    await app.register(subscriberRoutes, webhookOptions);
  }

  const queue: Queue = env.LIFELINE_PUBSUB_TOPIC
    ? await createPubSubQueue({
        projectId: env.GOOGLE_CLOUD_PROJECT,
        topic: env.LIFELINE_PUBSUB_TOPIC,
        subscription: env.LIFELINE_PUBSUB_SUBSCRIPTION,
        createIfMissing: Boolean(env.PUBSUB_EMULATOR_HOST),
        log: app.log,
      })
    : createEmbeddedQueue({ log: app.log });
  const state = {
    queue,
    email: null as EmailChannel | null,
    webhook: null as WebhookChannel | null,
    chat: null as ChatChannel | null,
    dispatch: async () => {},
  };
  app.decorate('notifications', state);
  // Every role has the email channel (a pool that connects on first use): the web role emails the
  // console's one-time sign-in links itself; the worker sends every notice through it.
  state.email = createEmailChannel({
    smtpUrl: env.SMTP_URL || null,
    fallbackSmtpUrl: env.SMTP_FALLBACK_URL || null,
    from: env.MAIL_FROM,
    poolSize: env.SMTP_POOL_SIZE,
    rateLimitPerSecond: env.SMTP_RATE_PER_SECOND || null,
    dkim: env.DKIM_DOMAIN ? { domainName: env.DKIM_DOMAIN, keySelector: env.DKIM_SELECTOR, privateKey: readFileSync(env.DKIM_PRIVATE_KEY_FILE, 'utf8') } : null,
    mailDir: join(app.config.dataDir, 'mail'),
    log: app.log,
    clock: app.clock,
  });
  if (!worker) {
    app.addHook('onClose', async () => {
      await state.email?.close();
      await queue.close();
    });
    return;
  }

  state.webhook = createWebhookChannel({ allowPrivate });
  state.chat = createChatChannel({ allowPrivate });
  const dispatcher = createOutboxDispatcher({ db: app.db, clock: app.clock, queue, log: app.log, claimLeaseMs: env.LIFELINE_DELIVERY_LEASE_SECONDS * 1000 });
  state.dispatch = dispatcher.run;

  let stopConsuming: (() => Promise<void>) | null = null;
  let unlisten: (() => Promise<void>) | null = null;
  let timer: NodeJS.Timeout | null = null;
  const startWorker = async () => {
    const deliveryWorker = createDeliveryWorker({
      db: app.db,
      clock: app.clock,
      random: app.random,
      email: state.email as EmailChannel,
      webhook: state.webhook as WebhookChannel,
      chat: state.chat as ChatChannel,
      publicUrl: app.config.publicUrl,
      linkKey: () => app.linkKey(),
      mailFrom: env.MAIL_FROM,
      claimLeaseMs: env.LIFELINE_DELIVERY_LEASE_SECONDS * 1000,
      log: app.log,
      secrets: app.secretBox,
      views: app.views,
    });
    if (app.db.kind === 'pglite') {
      const released = await dispatcher.releaseClaimsOfDeadProcess();
      if (released > 0) app.log.warn({ released }, 'retrying deliveries left in flight by the previous run');
    }
    if (queue.kind === 'embedded') await dispatcher.republishBacklog();
    stopConsuming = await queue.consume(deliveryWorker.handle);
    try {
      unlisten = await app.db.listen(OUTBOX_CHANNEL, () => void dispatcher.run());
    } catch (error) {
      app.log.warn({ err: error }, 'LISTEN for the outbox failed; dispatching on the timer only');
    }
    timer = setInterval(() => void dispatcher.run(), DISPATCH_TICK_MS);
    timer.unref();
    void dispatcher.run();
  };
  app.addHook('onReady', () => app.afterDatabaseReady('outbox dispatcher and delivery worker', startWorker));
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
    await unlisten?.();
    await stopConsuming?.();
    await state.email?.close();
    await state.webhook?.close();
    await state.chat?.close();
    await queue.close();
  });
});
