import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

/** The public webhook sign-up: the owner confirms by email, sees the secret once, can rotate it. */
const form = (fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
});
const pathOf = (text: string, prefix: string) => new RegExp(`https://status\\.acme\\.example(/${prefix}/[^\\s"<]+)`).exec(text)?.[1] as string;
// As a browser shows it: Handlebars escapes "=" and "/" as entities.
const secretOf = (html: string) =>
  /<code id="secret"[^>]*>(whsec_[^<]+)<\/code>/
    .exec(html)?.[1]
    ?.replace(/&#x([0-9A-F]+);/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) as string;

describe('public webhook sign-up, guarded', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('shows the form without JavaScript', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/subscribe/webhook' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="url"');
    expect(page.body).toContain('name="email"');
    expect((await t.app.inject({ method: 'GET', url: '/subscribe' })).body).toContain('href="/subscribe/webhook"');
  });

  it('refuses private, metadata and non-https endpoints with a message naming the url', async () => {
    for (const url of ['https://169.254.169.254/latest', 'https://localhost/hook', 'http://hooks.example.com/x', 'not a url']) {
      const response = await t.app.inject({ method: 'POST', url: '/subscribe/webhook', ...form({ url, email: 'owner@example.org' }) });
      expect(response.statusCode, url).toBe(400);
      expect(response.body).toContain('url');
      expect(response.body).toContain('name="url"');
    }
    const [{ n }] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM subscriber WHERE type = 'webhook'");
    expect(n).toBe(0);
  });

  it('refuses a cross-site form post', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/subscribe/webhook',
      payload: 'url=https%3A%2F%2Fhooks.example.com%2Fx&email=a%40example.org',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
    });
    expect(response.statusCode).toBe(403);
  });
});

describe('public webhook sign-up, end to end', () => {
  let smtp: TestSmtpServer;
  let receiver: HttpReceiver;
  let t: TestApp;
  let admin: string;
  let manageLink: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    receiver = await startHttpReceiver({ path: '/status-hook' });
    // The reference verifier checks webhook-timestamp against the real time.
    t = await startTestApp({
      clock: new ManualClock(new Date()),
      env: { LIFELINE_ROLES: 'web,worker', SMTP_URL: smtp.url, MAIL_FROM: 'Acme Status <status@acme.example>', LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true' },
    });
    admin = await t.token('admin');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
    await receiver.close();
  });
  const declare = (name: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/incidents', payload: { name, body: 'Investigating.' }, headers: { authorization: `Bearer ${admin}` } });
  const pump = () => t.app.notifications.dispatch();

  it('sends nothing to the endpoint until its owner confirms; the confirmation shows the secret once', async () => {
    const signup = await t.app.inject({ method: 'POST', url: '/subscribe/webhook', ...form({ url: receiver.url, email: 'Owner@Example.org', scope: 'all' }) });
    expect(signup.statusCode).toBe(200);
    expect(signup.body).toContain('Check your inbox');
    expect(signup.body).not.toContain('whsec_');

    await declare('Before confirmation');
    await pump();
    const [confirmation] = await smtp.waitFor(1);
    expect(confirmation.envelope.rcptTo).toEqual(['Owner@example.org']);
    expect(confirmation.parsed.subject).toBe('[Acme Chat] Confirm your webhook subscription to status updates');
    expect(confirmation.parsed.text).toContain(receiver.url);
    expect(receiver.received).toHaveLength(0);

    const link = pathOf(confirmation.parsed.text ?? '', 'subscribe/confirm');
    expect((await t.app.inject({ method: 'GET', url: link })).body).not.toContain('whsec_');
    const confirmed = await t.app.inject({ method: 'POST', url: link, headers: { 'sec-fetch-site': 'same-origin' } });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.headers['cache-control']).toBe('no-store');
    const secret = secretOf(confirmed.body);
    expect(secret).toMatch(/^whsec_/);
    // Confirming again activates nothing new and shows no secret.
    expect(secretOf((await t.app.inject({ method: 'POST', url: link, headers: { 'sec-fetch-site': 'same-origin' } })).body)).toBeUndefined();

    await declare('After confirmation');
    await pump();
    await expect.poll(() => receiver.received.length).toBe(1);
    const body = new Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers as Record<string, string>) as {
      incident: { name: string };
    };
    expect(body.incident.name).toBe('After confirmation');
  });

  it('answers a sign-up for a known endpoint the same way, and mails only its recorded owner', async () => {
    t.clock.advance(120_000);
    const again = await t.app.inject({ method: 'POST', url: '/subscribe/webhook', ...form({ url: receiver.url, email: 'intruder@example.net' }) });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('Check your inbox');
    await pump();
    const messages = await smtp.waitFor(2);
    expect(messages[1].envelope.rcptTo).toEqual(['Owner@example.org']);
    expect(messages[1].parsed.subject).toBe('[Acme Chat] Manage your status updates webhook subscription');
    expect(smtp.messages.some((m) => m.envelope.rcptTo.includes('intruder@example.net'))).toBe(false);
    manageLink = pathOf(messages[1].parsed.text ?? '', 'manage');
    expect(manageLink).toBeTruthy();
  });

  it('rotates the signing secret from the manage link: the old one no longer verifies', async () => {
    const manage = await t.app.inject({ method: 'GET', url: manageLink });
    expect(manage.body).toContain('Make a new signing secret');
    const rotated = await t.app.inject({ method: 'POST', url: `${manageLink}/rotate-secret`, headers: { 'sec-fetch-site': 'same-origin' } });
    const secret = secretOf(rotated.body);
    expect(secret).toMatch(/^whsec_/);
    await declare('After rotation');
    await pump();
    await expect.poll(() => receiver.received.length).toBe(2);
    const last = receiver.received[1];
    expect((new Webhook(secret).verify(last.body, last.headers as Record<string, string>) as { incident: { name: string } }).incident.name).toBe(
      'After rotation',
    );
    const audit = (
      await t.app.inject({ method: 'GET', url: '/api/v1/audit?action=subscriber.secret_rotated', headers: { authorization: `Bearer ${admin}` } })
    ).json();
    expect(JSON.stringify(audit)).toContain('subscriber.secret_rotated');
  });
});
