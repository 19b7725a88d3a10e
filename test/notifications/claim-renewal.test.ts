import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fillLayout, type EmailChannel, type EmailMessage, type SendOutcome } from '../../src/channels/channel.ts';
import { createWebhookChannel } from '../../src/channels/webhook-channel.ts';
import { createChatChannel } from '../../src/channels/chat-channel.ts';
import { createDeliveryWorker } from '../../src/jobs/delivery-worker.ts';
import { declareIncident } from '../../src/services/incidents/declare-incident.ts';
import { subscribeByEmail } from '../../src/services/subscribers/subscribe-by-email.ts';
import { insertDeliveryChunk, releaseStaleClaims } from '../../src/storage/delivery-repository.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/**
 * A worker held up by a slow relay keeps renewing its claims, so the sweeper does not hand the
 * same deliveries to another worker (which would send them twice). The relay here is a gate at
 * the channel contract; the timer is driven by the test, so nothing waits.
 */
describe('delivery claim renewal', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('renews held claims every lease/3 while a send is slow, and stops renewing when the batch is done', async () => {
    const ctx = t.app.serviceContext(labelledOperator('test'));
    await subscribeByEmail(ctx, { type: 'email', email: 'slow@example.org', confirmed: true }, { source: 'api' });
    await declareIncident(ctx, { name: 'Slow relay', body: 'Investigating.' });
    const [event] = await t.db.query<{ id: number }>("SELECT id::int AS id FROM outbox_event WHERE type = 'incident.created'");
    await insertDeliveryChunk(t.db, { id: event.id, componentIds: [] }, { after: null, limit: 10 }, t.clock.now());
    const ids = (await t.db.query<{ id: number }>('SELECT id::int AS id FROM delivery')).map((r) => r.id);
    expect(ids).toHaveLength(1);

    let release!: () => void;
    const relayAccepts = new Promise<void>((resolve) => (release = resolve));
    let sending!: () => void;
    const sendStarted = new Promise<void>((resolve) => (sending = resolve));
    const sent: EmailMessage[] = [];
    const slowRelay: EmailChannel = {
      async send(message): Promise<SendOutcome> {
        sending();
        await relayAccepts;
        sent.push(message);
        return { ok: true };
      },
      sendCopy(layout, recipient) {
        return this.send(fillLayout(layout, recipient));
      },
      close: async () => {},
    };
    const timers: { fn: () => void; ms: number; stopped: boolean }[] = [];
    const leaseMs = 300_000;
    const worker = createDeliveryWorker({
      db: t.db,
      clock: t.clock,
      random: () => 0.5,
      email: slowRelay,
      webhook: createWebhookChannel({ allowPrivate: true }),
      chat: createChatChannel({ allowPrivate: true }),
      publicUrl: t.config.publicUrl,
      linkKey: () => t.app.linkKey(),
      mailFrom: 'Acme Status <status@acme.example>',
      claimLeaseMs: leaseMs,
      log: t.app.log,
      views: t.app.views,
      every: (fn, ms) => {
        const timer = { fn, ms, stopped: false };
        timers.push(timer);
        return () => {
          timer.stopped = true;
        };
      },
    });

    const handled = worker.handle({ deliveryIds: ids });
    await sendStarted;
    expect(timers).toHaveLength(1);
    expect(timers[0].ms).toBe(leaseMs / 3);

    // The relay is slow: the lease would run out twice over, but every tick renews the claim.
    for (let tick = 0; tick < 6; tick++) {
      t.clock.advance(leaseMs / 3);
      timers[0].fn();
      const renewedAt = t.clock.now().getTime();
      await vi.waitFor(async () => {
        const [row] = await t.db.query<{ claimed_at: Date }>('SELECT claimed_at FROM delivery');
        expect(new Date(row.claimed_at).getTime()).toBe(renewedAt);
      });
      expect(await releaseStaleClaims(t.db, new Date(t.clock.now().getTime() - leaseMs))).toBe(0);
    }
    const [claimed] = await t.db.query<{ state: string; claimed_at: Date }>('SELECT state, claimed_at FROM delivery');
    expect(claimed.state).toBe('sending');

    release();
    await handled;
    expect(sent).toHaveLength(1);
    expect(timers[0].stopped).toBe(true);
    const [done] = await t.db.query<{ state: string }>('SELECT state FROM delivery');
    expect(done.state).toBe('sent');
  });

  it('without renewal the sweeper would take the claim back after the lease (what renewal prevents)', async () => {
    await t.db.query("UPDATE delivery SET state = 'sending', claimed_at = $1", [t.clock.now()]);
    t.clock.advance(300_001);
    expect(await releaseStaleClaims(t.db, new Date(t.clock.now().getTime() - 300_000))).toBe(1);
  });
});
