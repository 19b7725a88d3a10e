import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** The responder API for subscribers, with the SSRF guard on (the default). */
let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await startTestApp();
  token = await t.token('subscribers:write');
});
afterAll(() => t.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload: payload as string, headers: { authorization: `Bearer ${token}`, ...headers } });

describe('subscribers API', () => {
  it('needs the subscribers:write scope', async () => {
    const other = await t.token('incidents:write');
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/subscribers', headers: { authorization: `Bearer ${other}` } });
    expect(response.statusCode).toBe(403);
  });

  it.each([
    [{ type: 'email', email: 'not-an-address' }, 'email'],
    [{ type: 'email', email: 'a@example.org', component_ids: ['nope'] }, 'component_ids.0'],
    [{ type: 'webhook', url: 'http://example.org/hook' }, 'url'],
    [{ type: 'webhook', url: 'https://127.0.0.1/hook' }, 'url'],
    [{ type: 'webhook', url: 'https://169.254.169.254/latest/meta-data' }, 'url'],
    [{ type: 'webhook', url: 'https://metadata.google.internal/computeMetadata/v1/' }, 'url'],
    [{ type: 'webhook', url: 'https://[::ffff:10.0.0.1]/hook' }, 'url'],
  ])('answers 400 naming the field for %j', async (payload, field) => {
    const response = await post('/api/v1/subscribers', payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().field).toBe(field);
  });

  it('adds an email subscriber once and refuses the same address twice', async () => {
    const first = await post('/api/v1/subscribers', { type: 'email', email: 'Ops@Example.ORG', component_ids: ['us-api', 'eu-api'] });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      type: 'email',
      email: 'Ops@example.org',
      confirmed_at: null,
      component_ids: [await t.componentId('us-api'), await t.componentId('eu-api')],
    });
    expect((await post('/api/v1/subscribers', { type: 'email', email: 'ops@example.org' })).statusCode).toBe(409);
    const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/subscribers/${first.json().id}`, headers: { authorization: `Bearer ${token}` } });
    expect(removed.json().unsubscribed_at).not.toBeNull();
    expect((await post('/api/v1/subscribers', { type: 'email', email: 'ops@example.org' })).statusCode).toBe(201);
  });

  it('imports a CSV, reporting invalid lines and existing addresses', async () => {
    const csv =
      'email,components\r\nalice@example.org,\r\nbob@example.org,us-api;eu-api\r\nnot-an-email,\r\nops@example.org,\r\ncarol@example.org,unknown-component\r\n';
    const response = await post('/api/v1/subscribers/import?confirmed=true', csv, { 'content-type': 'text/csv' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      created: 2,
      existing: 1,
      invalid: [
        { line: 4, error: expect.stringContaining('email') },
        { line: 6, error: expect.stringContaining('unknown-component') },
      ],
    });
    const listed = (await t.app.inject({ method: 'GET', url: '/api/v1/subscribers?search=bob', headers: { authorization: `Bearer ${token}` } })).json()
      .subscribers;
    expect(listed).toHaveLength(1);
    expect(listed[0].confirmed_at).not.toBeNull();
    expect(listed[0].source).toBe('import');
    const bad = await post('/api/v1/subscribers/import', 'name\nx\n', { 'content-type': 'text/csv' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('email');
  });

  it('pages through subscribers', async () => {
    const first = (await t.app.inject({ method: 'GET', url: '/api/v1/subscribers?limit=1', headers: { authorization: `Bearer ${token}` } })).json();
    expect(first.subscribers).toHaveLength(1);
    const second = (
      await t.app.inject({ method: 'GET', url: `/api/v1/subscribers?limit=1&after=${first.next}`, headers: { authorization: `Bearer ${token}` } })
    ).json();
    expect(second.subscribers[0].id > first.subscribers[0].id).toBe(true);
  });
});
