import { Webhook } from 'standardwebhooks';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

/** Flow 1 end to end through the real app: outbox → dispatcher → embedded queue → worker → SMTP / HTTP. */
const emulatorHost = inject('pubsubEmulatorHost');
const queues = emulatorHost ? (['embedded', 'pubsub'] as const) : (['embedded'] as const);

describe.each(queues)('subscriber notifications through the %s queue', (queueKind) => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let admin: string;
  let receiver: HttpReceiver;
  let receiverStatus = 204;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    receiver = await startHttpReceiver({ status: () => receiverStatus });
    // The reference verifier checks webhook-timestamp against the real time: start the clock at now.
    const pubsub: Record<string, string> =
      queueKind === 'pubsub'
        ? {
            PUBSUB_EMULATOR_HOST: emulatorHost as string,
            GOOGLE_CLOUD_PROJECT: inject('pubsubEmulatorProjectId'),
            LIFELINE_PUBSUB_TOPIC: `deliveries-${randomBytes(4).toString('hex')}`,
            LIFELINE_PUBSUB_SUBSCRIPTION: `workers-${randomBytes(4).toString('hex')}`,
          }
        : {};
    // The Google client reads these from the process environment itself.
    if (queueKind === 'pubsub') Object.assign(process.env, { PUBSUB_EMULATOR_HOST: emulatorHost, METADATA_SERVER_DETECTION: 'none' });
    t = await startTestApp({
      clock: new ManualClock(new Date()),
      env: {
        ...pubsub,
        LIFELINE_ROLES: 'web,worker',
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Acme Status <status@acme.example>',
        LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true',
      },
    });
    admin = await t.token('admin');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
    await receiver.close();
  });

  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${admin}` } });
  const pump = async () => {
    await t.app.notifications.dispatch();
  };

  it('double opt-in: a public sign-up gets only a confirmation email until it confirms through the link', async () => {
    expect(t.app.notifications.queue.kind).toBe(queueKind);
    const form = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: 'email=Reader%40Example.org&scope=all',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Check your inbox');
    await pump();
    const [confirmation] = await smtp.waitFor(1);
    expect(confirmation.envelope.rcptTo).toEqual(['Reader@example.org']);
    expect(confirmation.parsed.subject).toContain('Confirm your subscription');
    const link = /https:\/\/status\.acme\.example(\/subscribe\/confirm\/[^\s"<]+)/.exec(confirmation.parsed.text ?? '')?.[1] as string;
    expect(link).toBeTruthy();

    // Nothing but the confirmation reaches an unconfirmed address.
    await api('POST', '/api/v1/incidents', { name: 'Before confirming', body: 'x' });
    await pump();
    expect(smtp.messages).toHaveLength(1);

    expect((await t.app.inject({ method: 'GET', url: link })).body).toContain('Confirm subscription');
    const confirmed = await t.app.inject({ method: 'POST', url: link, headers: { 'sec-fetch-site': 'same-origin' } });
    expect(confirmed.body).toContain('You are subscribed');
    const subscribers = (await api('GET', '/api/v1/subscribers?type=email')).json().subscribers;
    expect(subscribers[0].confirmed_at).not.toBeNull();
  });

  it('answers a sign-up for a known address exactly like one for an unknown address', async () => {
    const known = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: 'email=reader%40example.org',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: 'email=nobody%40example.org',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(known.statusCode).toBe(unknown.statusCode);
    expect(known.body.replace('reader@example.org', 'X')).toBe(unknown.body.replace('nobody@example.org', 'X'));
  });

  it('refuses a cross-site form post', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: 'email=a%40example.org',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
    });
    expect(response.statusCode).toBe(403);
  });

  it('emails each confirmed subscriber once per update, with one-click unsubscribe, and signs webhooks', async () => {
    const hook = await api('POST', '/api/v1/subscribers', { type: 'webhook', url: receiver.url, email: 'hooks@example.org' });
    expect(hook.statusCode).toBe(201);
    const secret = hook.json().secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect((await api('GET', `/api/v1/subscribers/${hook.json().id}`)).json().secret).toBeUndefined();
    const imported = await api('POST', '/api/v1/subscribers', { type: 'email', email: 'eu-only@example.org', confirmed: true, component_ids: ['eu-api'] });
    expect(imported.statusCode).toBe(201);

    await pump(); // the confirmation asked for by the previous test goes first
    await smtp.waitFor(2);
    const before = smtp.messages.length;
    const incident = (
      await api('POST', '/api/v1/incidents', { name: 'US messaging down', body: 'We are **on it**.', components: { 'us-messaging': 'major_outage' } })
    ).json();
    await pump();
    const mails = await smtp.waitFor(before + 1);
    await vi.waitFor(() => expect(receiver.received.length).toBe(1), { timeout: 5000, interval: 10 });
    await pump();
    const notice = mails.slice(before);
    // The EU-only subscriber is not told about a US incident.
    expect(notice.map((m) => m.envelope.rcptTo[0])).toEqual(['Reader@example.org']);
    const mail = notice[0];
    expect(mail.parsed.subject).toBe('[Acme Chat] Investigating: US messaging down');
    expect(mail.parsed.html).toContain('<strong>on it</strong>');
    expect(mail.parsed.text).toContain('Messaging (United States): Major outage');
    const header = (name: string) => mail.parsed.headers.find((h) => h.key === name)?.value ?? '';
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(header('list-unsubscribe')).toMatch(/^<https:\/\/status\.acme\.example\/unsubscribe\/[^>]+>, <mailto:unsubscribe@acme\.example\?subject=/);
    expect(header('list-id')).toContain('status.status.acme.example');

    // The webhook verifies with the Standard Webhooks reference implementation and carries Statuspage's shape.
    const delivery = receiver.received[0];
    const payload = new Webhook(secret.slice('whsec_'.length)).verify(delivery.body, delivery.headers as Record<string, string>) as Record<string, any>;
    expect(payload.event_type).toBe('incident.created');
    expect(payload.incident.id).toBe(incident.id);
    expect(payload.page.status_indicator).toBe('major');
    expect(payload.meta.unsubscribe).toMatch(/\/unsubscribe\//);

    await vi.waitFor(
      async () => {
        const progress = (await api('GET', `/api/v1/incidents/${incident.id}/deliveries`)).json();
        expect(progress.totals).toEqual({ targeted: 2, sent: 2, failed: 0, pending: 0 });
      },
      { timeout: 5000, interval: 10 },
    );

    // One-click unsubscribe: a POST without cookies, as a mailbox provider sends it; a GET never unsubscribes.
    const unsubscribeUrl = /<https:\/\/status\.acme\.example([^>]+)>/.exec(header('list-unsubscribe'))?.[1] as string;
    expect((await t.app.inject({ method: 'GET', url: unsubscribeUrl })).body).toContain('Unsubscribe from status updates?');
    // The manage link from the same email shows the component choices.
    const manageUrl = /https:\/\/status\.acme\.example(\/manage\/[^\s]+)/.exec(mail.parsed.text ?? '')?.[1] as string;
    const manage = await t.app.inject({ method: 'GET', url: manageUrl });
    expect(manage.body).toContain('Manage your subscription');
    expect(manage.body).toContain('United States');
    const saved = await t.app.inject({
      method: 'POST',
      url: manageUrl,
      payload: `scope=some&components=${await t.componentId('eu-api')}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(saved.body).toContain('Your choices are saved');
    expect((await api('GET', '/api/v1/subscribers?search=reader')).json().subscribers[0].component_ids).toEqual([await t.componentId('eu-api')]);
    const oneClick = await t.app.inject({
      method: 'POST',
      url: unsubscribeUrl,
      payload: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(oneClick.statusCode).toBe(200);
    const count = smtp.messages.length;
    await api('POST', `/api/v1/incidents/${incident.id}/updates`, { status: 'resolved', body: 'Fixed' });
    await pump();
    await vi.waitFor(() => expect(receiver.received.length).toBe(2), { timeout: 5000, interval: 10 });
    expect(smtp.messages.length).toBe(count);
    const replay = JSON.parse(receiver.received[1].body);
    expect(receiver.received[1].headers['webhook-id']).not.toBe(receiver.received[0].headers['webhook-id']);
    expect(replay.event_type).toBe('incident.resolved');
  });

  it('sends nothing twice when a batch is delivered again', async () => {
    const rows = await t.db.query<{ id: number }>("SELECT id FROM delivery WHERE state = 'sent'");
    const before = { mails: smtp.messages.length, hooks: receiver.received.length };
    const { createDeliveryWorker } = await import('../../src/jobs/delivery-worker.ts');
    const notifications = t.app.notifications;
    const worker = createDeliveryWorker({
      db: t.db,
      clock: t.clock,
      random: () => 0.5,
      email: notifications.email!,
      webhook: notifications.webhook!,
      chat: notifications.chat!,
      publicUrl: t.config.publicUrl,
      linkKey: () => t.app.linkKey(),
      mailFrom: 'x@acme.example',
      claimLeaseMs: 300_000,
      log: t.app.log,
      views: t.app.views,
    });
    await worker.handle({ deliveryIds: rows.map((r) => r.id) });
    expect({ mails: smtp.messages.length, hooks: receiver.received.length }).toEqual(before);
  });

  it('retries a failing webhook on the schedule and dead-letters it, replayable through the API', async () => {
    receiverStatus = 500;
    const hooks = receiver.received.length;
    const incident = (await api('POST', '/api/v1/incidents', { name: 'Flaky receiver', body: 'x' })).json();
    await pump();
    await vi.waitFor(() => expect(receiver.received.length).toBe(hooks + 1), { timeout: 5000, interval: 10 });
    const [row] = await t.db.query<{ id: number; state: string; attempts: number; last_error: string; next_attempt_at: Date }>(
      "SELECT d.* FROM delivery d JOIN outbox_event e ON e.id = d.event_id WHERE d.channel = 'webhook' AND e.payload->>'incident_id' = $1",
      [incident.id],
    );
    await vi.waitFor(
      async () => {
        const [current] = await t.db.query<{ state: string }>('SELECT state FROM delivery WHERE id = $1', [row.id]);
        expect(current.state).toBe('pending');
      },
      { timeout: 5000, interval: 10 },
    );
    const [pending] = await t.db.query<{ attempts: number; last_error: string; next_attempt_at: Date }>('SELECT * FROM delivery WHERE id = $1', [row.id]);
    expect(pending.attempts).toBe(1);
    expect(pending.last_error).toMatch(/500/);
    expect(new Date(pending.next_attempt_at).getTime() - t.clock.now().getTime()).toBeGreaterThanOrEqual(4000);

    // Walk the clock through the whole schedule: 9 retries over about three days, then the dead letter.
    for (let attempt = 2; attempt <= 10; attempt++) {
      const [due] = await t.db.query<{ next_attempt_at: Date }>('SELECT next_attempt_at FROM delivery WHERE id = $1', [row.id]);
      t.clock.set(new Date(new Date(due.next_attempt_at).getTime() + 1));
      await pump();
      await vi.waitFor(
        async () => {
          const [current] = await t.db.query<{ state: string; attempts: number }>('SELECT state, attempts FROM delivery WHERE id = $1', [row.id]);
          expect(current.attempts).toBe(attempt);
          expect(current.state).not.toBe('sending');
        },
        { timeout: 5000, interval: 10 },
      );
    }
    const dead = (await api('GET', '/api/v1/deliveries/dead')).json().deliveries;
    expect(dead.map((d: { id: number }) => d.id)).toContain(row.id);
    expect(dead.find((d: { id: number }) => d.id === row.id).last_error).toMatch(/gave up after 10 attempts/);

    // Three days of nothing but failures disabled the endpoint; a responder turns it back on, then replays.
    const [endpoint] = await t.db.query<{ id: string; disabled_at: Date | null; disabled_reason: string }>(
      "SELECT id, disabled_at, disabled_reason FROM subscriber WHERE type = 'webhook'",
    );
    expect(endpoint.disabled_at).not.toBeNull();
    expect(endpoint.disabled_reason).toMatch(/failing since/);
    // ...and its owner is told by email.
    await pump();
    const ownerMail = await vi.waitFor(
      () => {
        const found = smtp.messages.find((m) => m.envelope.rcptTo.includes('hooks@example.org'));
        expect(found).toBeDefined();
        return found!;
      },
      { timeout: 5000, interval: 10 },
    );
    expect(ownerMail.parsed.subject).toContain('Your webhook endpoint was disabled');
    expect(ownerMail.parsed.text).toContain(receiver.url);
    receiverStatus = 204;
    expect((await api('POST', `/api/v1/subscribers/${endpoint.id}/reactivate`)).json().disabled_at).toBeNull();
    const replay = await api('POST', '/api/v1/deliveries/replay', { ids: [row.id] });
    expect(replay.json()).toEqual({ replayed: 1 });
    await pump();
    await vi.waitFor(
      async () => {
        const [current] = await t.db.query<{ state: string }>('SELECT state FROM delivery WHERE id = $1', [row.id]);
        expect(current.state).toBe('sent');
      },
      { timeout: 5000, interval: 10 },
    );

    // A responder can also turn it off on purpose; the owner is told that, with the reason.
    const disabled = await api('POST', `/api/v1/subscribers/${endpoint.id}/disable`, { reason: "answers with someone else's data" });
    expect(disabled.json()).toMatchObject({ disabled_reason: "answers with someone else's data" });
    await pump();
    const notice = await vi.waitFor(
      () => {
        const found = smtp.messages.filter((m) => m.envelope.rcptTo.includes('hooks@example.org'));
        expect(found).toHaveLength(2);
        return found[1];
      },
      { timeout: 5000, interval: 10 },
    );
    expect(notice.parsed.text).toContain('The Acme Chat team stopped sending status updates to your webhook endpoint');
    expect(notice.parsed.text).toContain("Reason: answers with someone else's data");
    expect(notice.parsed.text).not.toContain('failed for several days');
  });
});
