import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken } from '../../src/domain/link-token.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Public writes are limited per address, but not so that honest traffic that shares one address is
 * refused: after a large notice, Gmail's and Yahoo's one-click unsubscribes and an inbound-mail
 * provider's webhook each carry thousands of people's unsubscribes from a handful of IPs.
 */
let t: TestApp;
const PROVIDER = '209.85.220.41';

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

async function subscribers(count: number, prefix: string): Promise<string[]> {
  const token = await t.token('subscribers:write');
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/subscribers',
      headers: { authorization: `Bearer ${token}` },
      payload: { type: 'email', email: `${prefix}${n}@example.org`, confirmed: true },
    });
    expect(response.statusCode).toBe(201);
    ids.push(response.json().id);
  }
  return ids;
}

describe('unsubscribes from a mailbox provider', () => {
  it('takes 40 one-click unsubscribes in a minute from one provider address', async () => {
    const ids = await subscribers(40, 'oneclick');
    for (const id of ids) {
      const token = signLinkToken({ subscriberId: id, purpose: 'unsubscribe', expiresAt: null }, t.app.linkKey());
      const response = await t.app.inject({
        method: 'POST',
        url: `/unsubscribe/${token}`,
        payload: 'List-Unsubscribe=One-Click',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        remoteAddress: PROVIDER,
      });
      expect(response.statusCode, id).toBe(200);
    }
    const left = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscriber WHERE id = ANY($1) AND unsubscribed_at IS NULL', [ids]);
    expect(left[0].n).toBe(0);
  });

  it('takes 40 mailto unsubscribes in a minute from one inbound-mail webhook', async () => {
    const ids = await subscribers(40, 'mailto');
    for (const id of ids) {
      const token = signLinkToken({ subscriberId: id, purpose: 'unsubscribe', expiresAt: null }, t.app.linkKey());
      const response = await t.app.inject({
        method: 'POST',
        url: '/inbound/unsubscribe',
        payload: { Subject: `unsubscribe ${token}` },
        remoteAddress: '198.51.100.9',
      });
      expect(response.statusCode, id).toBe(200);
    }
  });

  it('still limits sign-ups from one address', async () => {
    const statuses: number[] = [];
    for (let n = 0; n < 21; n++) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/subscribe',
        payload: `email=limited${n}%40example.org`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        remoteAddress: '203.0.113.77',
      });
      statuses.push(response.statusCode);
    }
    expect(statuses.at(-1)).toBe(429);
  });
});
