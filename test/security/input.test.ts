import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import { syncPageDefinition } from '../../src/services/components/sync-page-definition.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { consoleClient, type ConsoleSession } from '../helpers/console-client.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/**
 * A hostile client's text: NUL bytes, lone surrogates, invisible or direction-overriding names,
 * over-long values and reordered retries. Every door answers a 400 naming the field, never a 500.
 */
let t: TestApp;
let writer: string;
let admin: string;
let responder: ConsoleSession;
let client: ReturnType<typeof consoleClient>;

beforeAll(async () => {
  t = await startTestApp();
  writer = await t.token('incidents:write', 'components:write', 'maintenances:write');
  admin = await t.token('admin');
  client = consoleClient(t);
  await client.account('responder@example.org', 'responder');
  responder = await client.signIn('responder@example.org');
});
afterAll(() => t.close());

const api = (method: 'GET' | 'POST', url: string, payload?: unknown, token = writer, headers: Record<string, string> = {}) =>
  t.app.inject({ method, url, payload: payload as object | undefined, headers: { authorization: `Bearer ${token}`, ...headers } });
const publicForm = (url: string, body: string) =>
  t.app.inject({ method: 'POST', url, payload: body, remoteAddress: '203.0.113.50', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
const incidentCount = async () => Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM incident'))[0].n);

function expectRefused(response: { statusCode: number; json(): unknown }, field: string, message: RegExp) {
  expect(response.statusCode).toBe(400);
  expect(response.json()).toMatchObject({ error: 'invalid_input', field });
  expect((response.json() as { message: string }).message).toMatch(message);
}

describe('NUL bytes and lone surrogates', () => {
  it('refuses a NUL byte in a JSON body field, naming the field', async () => {
    const before = await incidentCount();
    expectRefused(await api('POST', '/api/v1/incidents', { name: 'Database\u0000down', body: 'Investigating.' }), 'name', /^name: contains a NUL byte/);
    expect(await incidentCount()).toBe(before);
  });

  it('refuses a lone surrogate in a JSON body field, naming the field', async () => {
    expectRefused(await api('POST', '/api/v1/incidents', { name: 'Database down', body: 'Investigating \ud800 now.' }), 'body', /^body: .*(surrogate|Unicode)/);
    expectRefused(await api('POST', '/api/v1/incidents', { name: 'Trailing \udfff', body: 'x' }), 'name', /^name: /);
  });

  it('names the nested field, and the object holding a key with a NUL byte', async () => {
    expectRefused(
      await api('POST', '/api/v1/incidents', { name: 'Nested', body: 'x', components: { 'us-api': 'major_outage\u0000' } }),
      'components.us-api',
      /NUL byte/,
    );
    expectRefused(
      await api('POST', '/api/v1/incidents', { name: 'Nested', body: 'x', components: { 'us-api\u0000': 'major_outage' } }),
      'components',
      /^components: a field name contains a NUL byte/,
    );
  });

  it('names an array element by its index, inside and after other elements', async () => {
    const updates = [{ body: 'fine' }, { body: 'also fine', extra: ['a', 'b\u0000'] }];
    expectRefused(await api('POST', '/api/v1/incidents', { name: 'Listed', body: 'x', updates }), 'updates.1.extra.1', /NUL byte/);
    expectRefused(await api('POST', '/api/v1/incidents', { name: 'Listed', body: 'x', updates: [{ '': { deep: '\ud800' } }] }), 'updates.0.deep', /surrogate/);
  });

  it('refuses a percent-encoded NUL in a query string', async () => {
    expectRefused(await api('GET', '/api/v1/audit?actor=evil%00', undefined, admin), 'actor', /^actor: contains a NUL byte/);
  });

  it('refuses a percent-encoded NUL in a path parameter', async () => {
    expectRefused(await api('GET', '/api/v1/incidents/abc%00def'), 'id', /^id: contains a NUL byte/);
    const update = await api('POST', '/api/v1/incidents/abc%00/updates', { body: 'x' });
    expectRefused(update, 'id', /NUL byte/);
  });

  it('answers the public sign-up form with its own HTML error page naming the field', async () => {
    for (const [url, body, field] of [
      ['/subscribe', 'email=victim%00%40example.org', 'email'],
      ['/subscribe/webhook', 'url=https%3A%2F%2Fhooks.example.org%2F%00&email=owner%40example.org', 'url'],
    ] as const) {
      const response = await publicForm(url, body);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('text/html');
      expect(response.body).toContain(`${field}: contains a NUL byte`);
    }
    expect((await t.db.query("SELECT 1 FROM subscriber WHERE email LIKE 'victim%'")).length).toBe(0);
  });

  it("answers a console form with the console's HTML error page naming the field", async () => {
    const before = await incidentCount();
    const response = await client.post(
      '/console/incidents',
      { _csrf: responder.csrf, name: 'Down\u0000', body: 'Investigating.', status: 'investigating' },
      responder,
    );
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain('name: contains a NUL byte');
    expect(await incidentCount()).toBe(before);
  });
});

describe('enum errors list the allowed values', () => {
  it('names the allowed statuses', async () => {
    const incident = (await api('POST', '/api/v1/incidents', { name: 'Enum check', body: 'x' })).json() as { id: string };
    const response = await api('POST', `/api/v1/incidents/${incident.id}/updates`, { status: 'fixed', body: 'x' });
    expectRefused(response, 'status', /^status: must be one of investigating, identified, monitoring, resolved, postmortem$/);
  });

  it('names the allowed values of a map entry', async () => {
    const response = await api('POST', '/api/v1/incidents', { name: 'Enum map', body: 'x', components: { 'us-api': 'broken' } });
    expectRefused(response, 'components.us-api', /must be one of operational, degraded_performance, partial_outage, major_outage, under_maintenance$/);
  });
});

describe('over-long values name the field and the limit', () => {
  it('says a body URL is at most its maximum length', async () => {
    const incident = (await api('POST', '/api/v1/incidents', { name: 'Long URL', body: 'x' })).json() as { id: string };
    const response = await api('POST', `/api/v1/incidents/${incident.id}/updates`, { body: 'x', postmortem_url: `https://example.org/${'a'.repeat(2000)}` });
    expectRefused(response, 'postmortem_url', /^postmortem_url: must be at most 2000 characters$/);
  });

  it('holds a console form to the same URL limit as the API (the rule is in the use-case)', async () => {
    const incident = (await api('POST', '/api/v1/incidents', { name: 'Long URL from the console', body: 'x' })).json() as { id: string };
    const response = await client.post(
      `/console/incidents/${incident.id}/updates`,
      {
        _csrf: responder.csrf,
        status: 'resolved',
        body: 'Fixed.',
        postmortem_url: `https://example.org/${'a'.repeat(2500)}`,
      },
      responder,
    );
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('must be at most 2000 characters');
    expect(
      (await t.db.query<{ postmortem_url: string | null }>('SELECT postmortem_url FROM incident WHERE id = $1', [incident.id]))[0].postmortem_url,
    ).toBeNull();
  });

  it('says a webhook url is at most its maximum length', async () => {
    const subscriberWriter = await t.token('subscribers:write');
    const response = await api('POST', '/api/v1/subscribers', { type: 'webhook', url: `https://hooks.example.org/${'a'.repeat(2000)}` }, subscriberWriter);
    expectRefused(response, 'url', /^url: must be at most 2000 characters$/);
  });

  it('answers an over-long path parameter with a 400 naming it, not a 404', async () => {
    const response = await api('GET', `/api/v1/incidents/${'a'.repeat(300)}`);
    expectRefused(response, 'id', /^id: must be at most 64 characters$/);
  });

  it("answers a path segment beyond any route's limit, or not UTF-8, in the usual JSON shape naming the path", async () => {
    const huge = await api('GET', `/api/v1/incidents/${'a'.repeat(1500)}`);
    expect(huge.statusCode).toBe(414);
    expect(huge.json()).toEqual({ error: 'uri_too_long', field: 'path', message: 'path: a path segment is longer than 1000 characters' });
    const broken = await api('GET', '/api/v1/incidents/%E0%A4%A');
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ error: 'invalid_input', field: 'path' });
  });
});

describe('invisible and direction-overriding names', () => {
  const invisibleNames = ['\u200b\u200c\u200d', '\u2060', '\ufeff\u200b', '\u202e', '\u2066\u2069', ' \u200b ', '\u3164', '\u2800'];

  it('refuses incident names made only of invisible characters', async () => {
    for (const name of invisibleNames) {
      expectRefused(await api('POST', '/api/v1/incidents', { name, body: 'x' }), 'name', /^name: /);
    }
  });

  it('refuses direction overrides anywhere in a name', async () => {
    expectRefused(await api('POST', '/api/v1/incidents', { name: 'Invoice \u202egpj.exe', body: 'x' }), 'name', /direction/);
    expectRefused(await api('POST', '/api/v1/tokens', { name: 'deploy \u2067bot', scopes: ['incidents:write'] }, admin), 'name', /direction/);
  });

  it('refuses invisible token, maintenance and account names', async () => {
    expectRefused(await api('POST', '/api/v1/tokens', { name: '\u200b', scopes: ['incidents:write'] }, admin), 'name', /^name: /);
    expectRefused(
      await api('POST', '/api/v1/maintenances', {
        name: '\u200d\u200d',
        body: 'x',
        scheduled_for: '2026-03-11T10:00:00Z',
        scheduled_until: '2026-03-11T11:00:00Z',
      }),
      'name',
      /^name: /,
    );
    expectRefused(await api('POST', '/api/v1/users', { email: 'ghost@example.org', role: 'viewer', name: '\u200b\ufeff' }, admin), 'name', /^name: /);
  });

  it('refuses invisible or direction-overriding component and group names on a console-managed page', async () => {
    const managed = await startTestApp({ definition: validatePageDefinition({ page: { name: 'Acme Chat', components_from: 'console' } }) });
    try {
      await syncPageDefinition(managed.app.serviceContext(labelledOperator('test')), managed.config.pageDefinition);
      const token = await managed.token('components:write');
      const post = (url: string, payload: object) => managed.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${token}` } });
      expectRefused(await post('/api/v1/components', { name: '\u200b\u2060' }), 'name', /^name: must contain visible characters/);
      expectRefused(await post('/api/v1/components', { name: 'Payments \u202eSPIRAL' }), 'name', /direction/);
      expectRefused(await post('/api/v1/component-groups', { name: '\u200d\u3164' }), 'name', /^name: must contain visible characters/);
      expect((await post('/api/v1/components', { name: 'Payments' })).statusCode).toBe(201);
    } finally {
      await managed.close();
    }
  });

  it('still accepts names in any script, and direction marks inside mixed text', async () => {
    for (const name of ['Ошибка входа', 'تأخير الرسائل', 'メッセージの遅延', 'API \u200f(beta)']) {
      expect((await api('POST', '/api/v1/incidents', { name, body: 'x' })).statusCode).toBe(201);
    }
  });
});

describe('Idempotency-Key compares requests by meaning', () => {
  it('replays the first answer for the same body with its keys in another order', async () => {
    const before = await incidentCount();
    const key = { 'idempotency-key': 'reordered-retry-1' };
    const first = await api(
      'POST',
      '/api/v1/incidents',
      { name: 'Retry', body: 'x', status: 'identified', components: { 'us-api': 'major_outage', 'eu-api': 'partial_outage' } },
      writer,
      key,
    );
    expect(first.statusCode).toBe(201);
    const retry = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      payload: '{"components":{"eu-api":"partial_outage","us-api":"major_outage"},"status":"identified","body":"x","name":"Retry"}',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json', ...key },
    });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(first.json().id);
    expect(await incidentCount()).toBe(before + 1);
  });

  it('still refuses the same key with a different body', async () => {
    const key = { 'idempotency-key': 'reordered-retry-2' };
    expect((await api('POST', '/api/v1/incidents', { name: 'Retry two', body: 'x' }, writer, key)).statusCode).toBe(201);
    const other = await api('POST', '/api/v1/incidents', { body: 'y', name: 'Retry two' }, writer, key);
    expect(other.statusCode).toBe(422);
    expect(other.json().error).toBe('idempotency_key_reused');
  });
});
