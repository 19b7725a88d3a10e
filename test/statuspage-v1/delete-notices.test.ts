// Deleting an incident stops what was still to be sent about it, through the real pipeline
// (outbox → dispatcher → embedded queue → worker → a real SMTP server on loopback).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fillLayout, type EmailChannel, type EmailMessage, type SendOutcome } from '../../src/channels/channel.ts';
import { createWebhookChannel } from '../../src/channels/webhook-channel.ts';
import { createChatChannel } from '../../src/channels/chat-channel.ts';
import { ManualClock } from '../../src/clock.ts';
import { createDeliveryWorker } from '../../src/jobs/delivery-worker.ts';
import { insertDeliveryChunk } from '../../src/storage/delivery-repository.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { UNLIMITED } from './rate-limit.ts';

const WAIT = { timeout: 10_000, interval: 20 };

let t: TestApp;
let smtp: TestSmtpServer;
let admin: string;
let pageId: string;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startTestApp({
    clock: new ManualClock(new Date()),
    env: { LIFELINE_ROLES: 'web,worker', SMTP_URL: smtp.url, MAIL_FROM: 'Acme Status <status@acme.example>', ...UNLIMITED },
  });
  admin = await t.token('admin');
  pageId = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().page.id;
  const reader = await t.app.inject({
    method: 'POST',
    url: '/api/v1/subscribers',
    payload: { type: 'email', email: 'reader@example.org', confirmed: true },
    headers: { authorization: `Bearer ${admin}` },
  });
  expect(reader.statusCode).toBe(201);
});
afterAll(async () => {
  await t.close();
  await smtp.close();
});

const deliveries = (incidentId: string, app: TestApp = t) =>
  app.db.query<{ id: number; state: string; attempts: number; last_error: string | null }>(
    `SELECT d.id, d.state, d.attempts, d.last_error FROM delivery d JOIN outbox_event e ON e.id = d.event_id
     WHERE e.payload->>'incident_id' = $1 ORDER BY d.id`,
    [incidentId],
  );

describe('deleting an incident whose notices are still going out', () => {
  it('dead-letters the ones waiting for a retry, refuses to replay them, and sends nothing more', async () => {
    smtp.setMode({ refuse: 451 });
    const created = await t.app.inject({
      method: 'POST',
      url: `/v1/pages/${pageId}/incidents`,
      payload: { incident: { name: 'Posted to the wrong page', body: 'Oops' } },
      headers: { authorization: `OAuth ${admin}` },
    });
    const incidentId = created.json().id as string;
    await t.app.notifications.dispatch();
    await vi.waitFor(async () => expect(await deliveries(incidentId)).toEqual([expect.objectContaining({ state: 'pending', attempts: 1 })]), WAIT);

    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/pages/${pageId}/incidents/${incidentId}`, headers: { authorization: `OAuth ${admin}` } })).statusCode,
    ).toBe(200);
    const [withdrawn] = await deliveries(incidentId);
    expect(withdrawn).toMatchObject({ state: 'dead', last_error: 'incident deleted' });

    // A replay of its dead letters replays nothing.
    const replay = await t.app.inject({
      method: 'POST',
      url: '/api/v1/deliveries/replay',
      payload: { ids: [Number(withdrawn.id)] },
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(replay.json()).toEqual({ replayed: 0 });

    t.clock.advance(3_600_000);
    smtp.setMode('accept');
    await t.app.notifications.dispatch();
    expect(await deliveries(incidentId)).toEqual([expect.objectContaining({ state: 'dead', last_error: 'incident deleted' })]);
    expect(smtp.messages.filter((m) => m.parsed.subject?.includes('Posted to the wrong page'))).toEqual([]);
  });
});

describe('the delivery worker, for an incident deleted behind a delivery', () => {
  let web: TestApp;
  beforeAll(async () => {
    web = await startTestApp({ env: UNLIMITED });
  });
  afterAll(() => web.close());

  it('ends the delivery dead with the reason instead of leaving its claim to be retried for ever, and sends nothing', async () => {
    const token = await web.token('admin');
    const page = (await web.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().page.id;
    await web.app.inject({
      method: 'POST',
      url: '/api/v1/subscribers',
      payload: { type: 'email', email: 'reader@example.org', confirmed: true },
      headers: { authorization: `Bearer ${token}` },
    });
    const incidentId = (
      await web.app.inject({
        method: 'POST',
        url: `/v1/pages/${page}/incidents`,
        payload: { incident: { name: 'Deleted at once', body: 'Oops' } },
        headers: { authorization: `OAuth ${token}` },
      })
    ).json().id as string;
    const [event] = await web.db.query<{ id: number }>("SELECT id::int AS id FROM outbox_event WHERE payload->>'incident_id' = $1", [incidentId]);
    // The fan-out was under way when the incident was deleted: a delivery exists the deletion did not see.
    await insertDeliveryChunk(web.db, { id: event.id, componentIds: [] }, { after: null, limit: 10 }, web.clock.now());
    await web.db.query('UPDATE incident SET deleted_at = $2 WHERE id = $1', [incidentId, web.clock.now()]);
    const ids = (await web.db.query<{ id: number }>('SELECT id::int AS id FROM delivery WHERE event_id = $1', [event.id])).map((r) => r.id);
    expect(ids).toHaveLength(1);

    const sent: EmailMessage[] = [];
    const relay: EmailChannel = {
      async send(message): Promise<SendOutcome> {
        sent.push(message);
        return { ok: true };
      },
      sendCopy(layout, recipient) {
        return this.send(fillLayout(layout, recipient));
      },
      close: async () => {},
    };
    const worker = createDeliveryWorker({
      db: web.db,
      clock: web.clock,
      random: () => 0.5,
      email: relay,
      webhook: createWebhookChannel({ allowPrivate: true }),
      chat: createChatChannel({ allowPrivate: true }),
      publicUrl: web.config.publicUrl,
      linkKey: () => web.app.linkKey(),
      mailFrom: 'Acme Status <status@acme.example>',
      claimLeaseMs: 300_000,
      log: web.app.log,
      views: web.app.views,
      every: () => () => {},
    });
    await worker.handle({ deliveryIds: ids });
    expect(await deliveries(incidentId, web)).toEqual([expect.objectContaining({ state: 'dead', last_error: expect.stringMatching(/no longer exists/) })]);
    expect(sent).toEqual([]);
  });
});
