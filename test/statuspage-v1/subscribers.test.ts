// Subscribers through the Statuspage door: create (email, or a webhook endpoint), list, delete, with
// the subscriber use-cases the native API and the console use (confirmation, SSRF guard, audit log).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIRMATION_EVENT } from '../../src/domain/notification-audience.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { UNLIMITED } from './rate-limit.ts';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.ts';

let t: TestApp;
let manager: string;
let pageId: string;
let usApi: string;
let receiver: HttpReceiver;

const fixture = (name: string, replace: Record<string, string> = {}) =>
  JSON.parse(
    Object.entries(replace).reduce((text, [from, to]) => text.replaceAll(from, to), readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')),
  ) as object;
type Method = 'GET' | 'POST' | 'DELETE';
const v1 = (method: Method, url: string, options: { body?: object | string; token?: string; headers?: Record<string, string> } = {}) =>
  t.app.inject({ method, url, payload: options.body, headers: { authorization: `OAuth ${options.token ?? manager}`, ...options.headers } });
const confirmationsFor = async (subscriberId: string) =>
  (await t.db.query("SELECT id FROM outbox_event WHERE type = $1 AND payload->>'subscriber_id' = $2", [CONFIRMATION_EVENT, subscriberId])).length;

beforeAll(async () => {
  receiver = await startHttpReceiver();
  // A real receiver on loopback: this deployment lets webhooks reach private addresses.
  t = await startTestApp({ env: { LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true', ...UNLIMITED } });
  manager = await t.token('subscribers:write');
  pageId = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().page.id;
  usApi = await t.componentId('us-api');
});
afterAll(async () => {
  await t.close();
  await receiver.close();
});

describe('POST /v1/pages/{page}/subscribers', () => {
  it('skip_confirmation_notification: true creates a confirmed email subscriber and sends nothing', async () => {
    const response = await v1('POST', `/v1/pages/${pageId}/subscribers`, { body: fixture('subscriber-email-create.json', { COMPONENT_ID: usApi }) });
    expect(response.statusCode, response.body).toBe(201);
    const subscriber = response.json();
    expect(subscriber).toMatchObject({
      id: expect.any(String),
      mode: 'email',
      email: 'oncall-lead@example.org',
      endpoint: null,
      skip_confirmation_notification: true,
      components: [usApi],
      quarantined_at: null,
      purge_at: null,
      confirmed_at: expect.any(String),
    });
    expect(subscriber.secret).toBeUndefined();
    expect(await confirmationsFor(subscriber.id)).toBe(0);
    const audit = await t.db.query<{ action: string; details: { confirmed: boolean } }>('SELECT action, details FROM audit_log WHERE target_id = $1', [
      subscriber.id,
    ]);
    expect(audit).toEqual([{ action: 'subscriber.created', details: expect.objectContaining({ confirmed: true, source: 'api' }) }]);
  });

  it('without it, the subscriber is unconfirmed and gets the confirmation email (a form body, all components)', async () => {
    const form = 'subscriber[email]=reader%40example.org&subscriber[skip_confirmation_notification]=f';
    const response = await v1('POST', `/v1/pages/${pageId}/subscribers.json`, { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.statusCode, response.body).toBe(201);
    const subscriber = response.json();
    expect(subscriber).toMatchObject({ mode: 'email', email: 'reader@example.org', confirmed_at: null, skip_confirmation_notification: false });
    // Page-wide: every component, as Statuspage lists them.
    expect(subscriber.components).toHaveLength(5);
    expect(await confirmationsFor(subscriber.id)).toBe(1);
  });

  it('an endpoint makes a webhook subscriber, active at once, with its signing secret in this answer only', async () => {
    const response = await v1('POST', `/v1/pages/${pageId}/subscribers`, {
      body: { subscriber: { endpoint: receiver.url, email: 'hooks-owner@example.org', component_ids: [usApi] } },
    });
    expect(response.statusCode, response.body).toBe(201);
    const subscriber = response.json();
    expect(subscriber).toMatchObject({
      mode: 'webhook',
      endpoint: receiver.url,
      email: 'hooks-owner@example.org',
      components: [usApi],
      confirmed_at: expect.any(String),
    });
    expect(subscriber.secret).toMatch(/^whsec_/);
    const listed = (await v1('GET', `/v1/pages/${pageId}/subscribers?type=webhook`)).json();
    expect(listed.map((s: { id: string }) => s.id)).toEqual([subscriber.id]);
    expect(listed[0].secret).toBeUndefined();
  });

  it('refuses with 422 naming the field: bad address, NUL byte, over-long endpoint, unknown component, SMS', async () => {
    const cases: [object, RegExp][] = [
      [{ subscriber: { email: 'not-an-address' } }, /^email: /],
      [{ subscriber: { email: 'a\u0000b@example.org' } }, /email/],
      [{ subscriber: { endpoint: `https://example.org/${'x'.repeat(2100)}` } }, /^url: /],
      [{ subscriber: { email: 'x@example.org', component_ids: ['nope'] } }, /component/],
      [{ subscriber: { phone_number: '5555550100', phone_country: 'US' } }, /^subscriber: only email and webhook/],
      [{ subscriber: {} }, /^email: /],
      [{ email: 'x@example.org' }, /^subscriber: is required/],
    ];
    for (const [body, error] of cases) {
      const response = await v1('POST', `/v1/pages/${pageId}/subscribers`, { body });
      expect([400, 422], JSON.stringify(body)).toContain(response.statusCode);
      expect(response.json().error, JSON.stringify(body)).toMatch(error);
      expect(response.json().message).toBe(response.json().error);
    }
  });

  it('an address already subscribed answers 409 and creates nothing', async () => {
    const again = await v1('POST', `/v1/pages/${pageId}/subscribers`, { body: { subscriber: { email: 'Oncall-Lead@example.org' } } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatch(/already subscribed/);
  });
});

describe('GET and DELETE /v1/pages/{page}/subscribers', () => {
  it('lists a bare array: active ones by default, as Statuspage; state, q, limit and page', async () => {
    const active = (await v1('GET', `/v1/pages/${pageId}/subscribers`)).json();
    expect(active).toBeInstanceOf(Array);
    expect(active.map((s: { email: string }) => s.email).sort()).toEqual(['hooks-owner@example.org', 'oncall-lead@example.org']);
    const unconfirmed = (await v1('GET', `/v1/pages/${pageId}/subscribers?state=unconfirmed`)).json();
    expect(unconfirmed.map((s: { email: string }) => s.email)).toEqual(['reader@example.org']);
    expect((await v1('GET', `/v1/pages/${pageId}/subscribers?state=all`)).json()).toHaveLength(3);
    expect((await v1('GET', `/v1/pages/${pageId}/subscribers?state=all&q=reader`)).json()).toHaveLength(1);
    const first = (await v1('GET', `/v1/pages/${pageId}/subscribers?state=all&limit=2&page=1`)).json();
    const second = (await v1('GET', `/v1/pages/${pageId}/subscribers?state=all&limit=2&page=2`)).json();
    expect(first).toHaveLength(2);
    expect(second).toHaveLength(1);
    expect(new Set([...first, ...second].map((s: { id: string }) => s.id)).size).toBe(3);
    expect((await v1('GET', `/v1/pages/${pageId}/subscribers?state=everything`)).statusCode).toBe(400);
  });

  it('deletes: 200 with the subscriber, then it is gone from the list; a second DELETE is 404', async () => {
    const [reader] = (await v1('GET', `/v1/pages/${pageId}/subscribers?state=unconfirmed`)).json();
    const deleted = await v1('DELETE', `/v1/pages/${pageId}/subscribers/${reader.id}`);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ id: reader.id, email: 'reader@example.org' });
    expect((await v1('GET', `/v1/pages/${pageId}/subscribers?state=all`)).json().map((s: { id: string }) => s.id)).not.toContain(reader.id);
    expect((await v1('DELETE', `/v1/pages/${pageId}/subscribers/${reader.id}`)).statusCode).toBe(404);
    expect((await v1('GET', `/v1/pages/${pageId}/subscribers/${reader.id}`)).statusCode).toBe(404);
    const audit = await t.db.query<{ action: string }>('SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id', [reader.id]);
    expect(audit.map((row) => row.action)).toEqual(['subscriber.created', 'subscriber.removed']);
  });

  it('the token decides: subscribers:write to list, add or remove; another page or an unknown id is 404', async () => {
    const incidentsOnly = await t.token('incidents:write');
    for (const [method, url, body] of [
      ['GET', `/v1/pages/${pageId}/subscribers`, undefined],
      ['POST', `/v1/pages/${pageId}/subscribers`, { subscriber: { email: 'sneaky@example.org', skip_confirmation_notification: true } }],
      ['DELETE', `/v1/pages/${pageId}/subscribers/anything`, undefined],
    ] as [Method, string, object | undefined][]) {
      const response = await v1(method, url, { body, token: incidentsOnly });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      expect(response.json().error).toContain('subscribers:write');
    }
    expect((await v1('GET', `/v1/pages/${pageId}/subscribers?state=all&q=sneaky`)).json()).toEqual([]);
    expect((await v1('GET', '/v1/pages/another-page/subscribers')).statusCode).toBe(404);
    expect((await v1('DELETE', `/v1/pages/${pageId}/subscribers/nope`)).statusCode).toBe(404);
    expect((await v1('GET', `/v1/pages/${pageId}/subscribers`, { token: 'lfl_nope_nope' })).statusCode).toBe(401);
  });
});

describe('the SSRF guard', () => {
  let guarded: TestApp;
  beforeAll(async () => {
    guarded = await startTestApp();
  });
  afterAll(() => guarded.close());

  it('refuses an endpoint on a private address, as the native API does', async () => {
    const token = await guarded.token('subscribers:write');
    const page = (await guarded.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().page.id;
    for (const endpoint of [receiver.url, 'https://169.254.169.254/latest/meta-data', 'http://[::1]/hook']) {
      const response = await guarded.app.inject({
        method: 'POST',
        url: `/v1/pages/${page}/subscribers`,
        payload: { subscriber: { endpoint } },
        headers: { authorization: `OAuth ${token}` },
      });
      expect(response.statusCode, endpoint).toBe(422);
      expect(response.json().error).toMatch(/^url: /);
    }
    expect(await guarded.db.query("SELECT id FROM subscriber WHERE type = 'webhook'")).toEqual([]);
  });
});
