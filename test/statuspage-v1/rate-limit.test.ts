// Statuspage's limit on its manage API, kept by the door: 1 request per second per token over a
// rolling 60 seconds, then 429 with Retry-After (its SDKs wait and retry). The clock is injected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let pageId: string;

beforeAll(async () => {
  t = await startTestApp();
  pageId = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().page.id;
});
afterAll(() => t.close());

const get = (token: string, path = '') => t.app.inject({ method: 'GET', url: `/v1/pages/${pageId}${path}`, headers: { authorization: `OAuth ${token}` } });

describe('the rate limit per token', () => {
  it('allows 60 requests in any 60 seconds, then answers 429 with Retry-After and {error, message}', async () => {
    const token = await t.token('incidents:write');
    for (let i = 0; i < 60; i++) {
      t.clock.advance(500); // 2 per second, twice Statuspage's rate
      expect((await get(token, i % 2 ? '/components' : '')).statusCode, `request ${i + 1}`).toBe(200);
    }
    const refused = await get(token);
    expect(refused.statusCode).toBe(429);
    // The first of the 60 was 29.5 s ago: it leaves the window in 30.5 s.
    expect(refused.headers['retry-after']).toBe('31');
    expect(refused.json()).toEqual({ error: expect.stringMatching(/rate limit/), message: expect.stringMatching(/rate limit/) });
    // Writes count too, and are refused before they touch anything.
    const write = await t.app.inject({
      method: 'POST',
      url: `/v1/pages/${pageId}/incidents`,
      payload: { incident: { name: 'Over the limit', body: 'b' } },
      headers: { authorization: `OAuth ${token}` },
    });
    expect(write.statusCode).toBe(429);
    expect(await t.db.query("SELECT id FROM incident WHERE name = 'Over the limit'")).toEqual([]);

    // Another token has its own budget.
    expect((await get(await t.token('incidents:write'))).statusCode).toBe(200);

    // Once the oldest request leaves the window, one more goes through: it rolls, it does not reset all at once.
    t.clock.advance(30_500);
    expect((await get(token)).statusCode).toBe(200);
    expect((await get(token)).statusCode).toBe(429);
    t.clock.advance(60_000);
    for (let i = 0; i < 60; i++) expect((await get(token)).statusCode).toBe(200);
  });

  it('never counts a stranger: a wrong token is 401, not 429', async () => {
    for (let i = 0; i < 70; i++) expect((await get('lfl_wrong_wrong')).statusCode).toBe(401);
  });

  it('leaves the native API alone', async () => {
    const token = await t.token('incidents:write');
    for (let i = 0; i < 61; i++) {
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/incidents', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    }
  });
});
