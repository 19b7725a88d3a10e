import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken } from '../../src/domain/link-token.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** The public subscription pages without a worker: links, expiry, limits. */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const form = (url: string, body: string, ip = '203.0.113.7') =>
  t.app.inject({ method: 'POST', url, payload: body, remoteAddress: ip, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

async function subscriberId(email: string): Promise<string> {
  const rows = await t.db.query<{ id: string }>('SELECT id FROM subscriber WHERE lower(email) = lower($1)', [email]);
  return rows[0].id;
}

describe('subscription pages', () => {
  it('serves the sign-up form with components grouped by region', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/subscribe' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<legend>United States[\s\S]*Messaging[\s\S]*<legend>Europe/);
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('names the field when the address is not valid', async () => {
    const response = await form('/subscribe', 'email=nope');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('email');
    expect(response.headers['content-type']).toContain('text/html');
  });

  it('expires confirmation links after 48 hours and rejects forged ones', async () => {
    await form('/subscribe', 'email=late%40example.org');
    const id = await subscriberId('late@example.org');
    const key = t.app.linkKey();
    const expires = Math.floor(t.clock.now().getTime() / 1000) + 48 * 3600;
    const link = `/subscribe/confirm/${signLinkToken({ subscriberId: id, purpose: 'confirm', expiresAt: expires }, key)}`;
    expect((await t.app.inject({ method: 'GET', url: link })).statusCode).toBe(200);
    t.clock.advance(49 * 3600 * 1000);
    expect((await t.app.inject({ method: 'GET', url: link })).statusCode).toBe(404);
    expect((await form(link, '')).statusCode).toBe(404);
    const forged = `/subscribe/confirm/${signLinkToken({ subscriberId: id, purpose: 'confirm', expiresAt: null }, 'not-the-key')}`;
    expect((await t.app.inject({ method: 'GET', url: forged })).statusCode).toBe(404);
    // A manage token cannot be used to unsubscribe and vice versa.
    const manage = signLinkToken({ subscriberId: id, purpose: 'manage', expiresAt: null }, key);
    expect((await form(`/unsubscribe/${manage}`, 'List-Unsubscribe=One-Click')).statusCode).toBe(404);
    const rows = await t.db.query<{ confirmed_at: Date | null; unsubscribed_at: Date | null }>(
      'SELECT confirmed_at, unsubscribed_at FROM subscriber WHERE id = $1',
      [id],
    );
    expect(rows[0]).toEqual({ confirmed_at: null, unsubscribed_at: null });
  });

  it('never unsubscribes on GET; POST does, without cookies or an Origin', async () => {
    await form('/subscribe', 'email=leaving%40example.org');
    const id = await subscriberId('leaving@example.org');
    const url = `/unsubscribe/${signLinkToken({ subscriberId: id, purpose: 'unsubscribe', expiresAt: null }, t.app.linkKey())}`;
    await t.app.inject({ method: 'GET', url });
    expect((await t.db.query('SELECT unsubscribed_at FROM subscriber WHERE id = $1', [id]))[0].unsubscribed_at).toBeNull();
    expect((await form(url, 'List-Unsubscribe=One-Click')).body).toContain('You are unsubscribed');
    expect((await t.db.query('SELECT unsubscribed_at FROM subscriber WHERE id = $1', [id]))[0].unsubscribed_at).not.toBeNull();
    // A repeated one-click POST (mail providers retry) gets the same answer.
    expect((await form(url, 'List-Unsubscribe=One-Click')).body).toContain('You are unsubscribed');
  });

  it('limits sign-ups per address and per IP with 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await form('/subscribe', 'email=flooded%40example.org', `198.51.100.${i}`)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const fromOneIp: number[] = [];
    for (let i = 0; i < 21; i++) fromOneIp.push((await form('/subscribe', `email=user${i}%40example.org`, '192.0.2.99')).statusCode);
    expect(fromOneIp.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(fromOneIp[20]).toBe(429);
  });
});
