import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elideChatUrl } from '../../src/domain/chat-platform.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { consoleClient, unescapeHtml } from '../helpers/console-client.ts';

/**
 * Slack, Discord and Teams channels as subscribers: the URL rules per platform (type told by the
 * host), the SSRF guard, the API (add, list, filter, remove), the public sign-up form and the console.
 */
const SLACK = 'https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx';
const DISCORD = 'https://discord.com/api/webhooks/123456789012345678/token-abc_DEF';
const DISCORDAPP = 'https://discordapp.com/api/webhooks/223456789012345678/token-xyz';
const TEAMS =
  'https://prod-12.westeurope.logic.azure.com:443/workflows/0a1b2c/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SeCrEtSiG';
const TEAMS_POWER =
  'https://default0a1b.2c.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?sig=S';
const TEAMS_LEGACY = 'https://acme.webhook.office.com/webhookb2/1111@2222/IncomingWebhook/3333/4444';

const form = (fields: Record<string, string>, site = 'same-origin') => ({
  payload: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': site },
});

describe('chat subscribers through the API (private webhooks allowed, as in tests)', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    // A secret key: chat URLs are sealed like webhook signing secrets.
    t = await startTestApp({ env: { LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true', LIFELINE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') } });
    token = await t.token('subscribers:write');
  });
  afterAll(() => t.close());
  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } });

  it.each([
    [SLACK, 'slack'],
    [DISCORD, 'discord'],
    [DISCORDAPP, 'discord'],
    [TEAMS, 'teams'],
    [TEAMS_POWER, 'teams'],
    [TEAMS_LEGACY, 'teams'],
  ])('tells the platform of %s from its host', async (url, type) => {
    const response = await api('POST', '/api/v1/subscribers', { url, confirmed: true });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body.type).toBe(type);
    // The URL is a credential: it is never shown whole.
    expect(body.url).toBe(elideChatUrl(url));
    expect(body.url).not.toBe(url);
    expect(response.body).not.toMatch(/abcdefghijklmnopqrstuvwx|token-abc_DEF|SeCrEtSiG|token-xyz/);
    expect(body.secret).toBeUndefined();
  });

  it.each([
    [{ url: 'https://hooks.example.com/services/T/B/x' }, 'url'],
    [{ url: 'https://hooks.slack.com.evil.example/services/T/B/x' }, 'url'],
    [{ url: 'https://hooks.slack.com/api/other' }, 'url'],
    [{ type: 'slack', url: DISCORD.replace('123456789012345678', '1') }, 'url'],
    [{ type: 'discord', url: 'http://discord.com/api/webhooks/1/x' }, 'url'],
    [{ url: 'http://127.0.0.1:9/services/T/B/x' }, 'url'],
    [{ type: 'teams', url: 'not a url' }, 'url'],
    [{ type: 'teams', url: `https://x.logic.azure.com/${'a'.repeat(2100)}` }, 'url'],
    [{ type: 'slack', url: 'https://hooks.slack.com/services/T/B/\u0000' }, 'url'],
    [{ type: 'sms', url: SLACK }, 'type'],
    [{ type: 'slack', url: SLACK, component_ids: ['nope'] }, 'component_ids.0'],
    [{ type: 'slack', url: SLACK, email: 'not an address' }, 'email'],
  ])('answers 400 naming the field for %j', async (payload, field) => {
    const response = await api('POST', '/api/v1/subscribers', payload);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().field).toBe(field);
  });

  it('refuses a channel already subscribed, whatever the spelling of its host', async () => {
    const again = await api('POST', '/api/v1/subscribers', { type: 'slack', url: SLACK.replace('hooks.slack.com', 'HOOKS.Slack.com') });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/^url: this channel is already subscribed/);
  });

  it('accepts a loopback http URL standing in for a given platform (LIFELINE_ALLOW_PRIVATE_WEBHOOKS), and lists, filters and removes', async () => {
    const made = await api('POST', '/api/v1/subscribers', {
      type: 'discord',
      url: 'http://127.0.0.1:9/api/webhooks/1/loopback',
      component_ids: ['eu-api'],
      email: 'Owner@Example.org',
      confirmed: true,
    });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({ type: 'discord', email: 'Owner@example.org', component_ids: [await t.componentId('eu-api')] });
    const discord = (await api('GET', '/api/v1/subscribers?type=discord')).json().subscribers;
    expect(discord.map((s: { type: string }) => s.type)).toEqual(['discord', 'discord', 'discord']);
    const slack = (await api('GET', '/api/v1/subscribers?type=slack')).json().subscribers;
    expect(slack).toHaveLength(1);
    // Searching the shown URL finds it (never the secret part).
    expect((await api('GET', '/api/v1/subscribers?search=hooks.slack.com')).json().subscribers).toHaveLength(1);
    expect((await api('GET', '/api/v1/subscribers?search=abcdefghijklmnop')).json().subscribers).toHaveLength(0);
    const removed = await api('DELETE', `/api/v1/subscribers/${made.json().id}`);
    expect(removed.statusCode).toBe(200);
    expect(removed.json().unsubscribed_at).not.toBeNull();
    expect((await api('GET', '/api/v1/subscribers?type=discord')).json().subscribers).toHaveLength(2);
    // Once removed, the same channel may subscribe again.
    expect((await api('POST', '/api/v1/subscribers', { type: 'discord', url: 'http://127.0.0.1:9/api/webhooks/1/loopback' })).statusCode).toBe(201);
  });

  it('keeps the whole URL only sealed in the database', async () => {
    const rows = await t.db.query<{ url: string; secret: string }>("SELECT url, secret FROM subscriber WHERE type = 'slack'");
    expect(rows[0].url).toBe('https://hooks.slack.com/services/T0123ABCD/B0456EFGH/…');
    expect(rows[0].secret).not.toContain('abcdefghijklmnopqrstuvwx');
    const audit = await t.db.query<{ details: unknown }>("SELECT details FROM audit_log WHERE action = 'subscriber.created'");
    expect(JSON.stringify(audit)).not.toMatch(/abcdefghijklmnopqrstuvwx|token-abc_DEF|SeCrEtSiG/);
  });

  it('shows the channels in the console, by platform, with their URL elided', async () => {
    const client = consoleClient(t);
    await client.account('viewer@example.org', 'viewer');
    await client.account('responder@example.org', 'responder');
    // A viewer sees the host and a tail only; a responder the URL as stored (secret parts elided).
    const page = await client.get('/console/subscribers?type=teams', await client.signIn('viewer@example.org'));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Microsoft Teams');
    expect(unescapeHtml(page.body)).toMatch(/<strong>https?:\/\/[^/<]+\/…[^/<]{0,4}<\/strong>/);
    expect(page.body).not.toContain('SeCrEtSiG');
    const managed = await client.get('/console/subscribers?type=teams', await client.signIn('responder@example.org'));
    expect(unescapeHtml(managed.body)).toContain('sig=…');
    expect(managed.body).not.toContain('SeCrEtSiG');
    expect(page.body).toContain('<option value="slack"');
  });
});

describe('chat subscribers with the SSRF guard on (the default)', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = await t.token('subscribers:write');
  });
  afterAll(() => t.close());

  it.each([
    { type: 'slack', url: 'http://127.0.0.1:9/services/T/B/x' },
    { type: 'discord', url: 'https://127.0.0.1/api/webhooks/1/x' },
    { type: 'teams', url: 'https://169.254.169.254/workflows/x' },
    { url: 'https://localhost/services/T/B/x' },
  ])('refuses %j naming url', async (payload) => {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/subscribers', payload, headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(400);
    expect(response.json().field).toBe('url');
  });

  it('the public form refuses a URL that is no channel, next to the form', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/subscribe/chat', ...form({ url: 'https://example.com/hook', scope: 'all' }) });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('url: must be a Slack');
    expect(response.body).toContain('name="url"');
    expect(response.body).toContain('value="https://example.com/hook"');
  });
});

describe('the public chat sign-up form', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true' } });
  });
  afterAll(() => t.close());

  it('is linked from the sign-up page and works without JavaScript', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/subscribe' })).body).toContain('href="/subscribe/chat"');
    const page = await t.app.inject({ method: 'GET', url: '/subscribe/chat' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="url"');
    expect(page.body).toContain('name="components"');
    expect(page.body).not.toContain('<script');
  });

  it('refuses a cross-site post (CSRF)', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/subscribe/chat', ...form({ url: SLACK }, 'cross-site') });
    expect(response.statusCode).toBe(403);
    expect(await t.db.query("SELECT 1 FROM subscriber WHERE type = 'slack'")).toHaveLength(0);
  });

  it('records an unconfirmed channel with its components and answers the same for a second sign-up', async () => {
    const euApi = await t.componentId('eu-api');
    const first = await t.app.inject({ method: 'POST', url: '/subscribe/chat', ...form({ url: SLACK, scope: 'some', components: euApi }) });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Check the channel');
    const second = await t.app.inject({ method: 'POST', url: '/subscribe/chat', ...form({ url: SLACK, scope: 'all' }) });
    expect(second.body).toBe(first.body);
    const rows = await t.db.query<{ type: string; confirmed_at: Date | null; source: string; all_components: boolean }>(
      "SELECT type, confirmed_at, source, all_components FROM subscriber WHERE type = 'slack'",
    );
    // The second sign-up does not change the first one's choice of components.
    expect(rows).toEqual([{ type: 'slack', confirmed_at: null, source: 'public', all_components: false }]);
    // One confirmation message asked for (a second within the minute is not posted).
    const events = await t.db.query<{ payload: { chat?: boolean } }>("SELECT payload FROM outbox_event WHERE type = 'subscriber.confirmation_requested'");
    expect(events).toHaveLength(1);
    expect(events[0].payload.chat).toBe(true);
  });

  it('is rate limited per IP (a public write)', async () => {
    let last = 200;
    for (let i = 0; i < 25 && last !== 429; i++) {
      last = (await t.app.inject({ method: 'POST', url: '/subscribe/chat', ...form({ url: `${SLACK}${i}` }) })).statusCode;
    }
    expect(last).toBe(429);
  });
});
