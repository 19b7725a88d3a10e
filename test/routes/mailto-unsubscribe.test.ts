import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken } from '../../src/domain/link-token.ts';
import { unsubscribeTokenIn } from '../../src/routes/subscriptions/index.ts';
import { subscribeByEmail } from '../../src/services/manage-subscribers.ts';
import { findSubscriber } from '../../src/storage/subscriber-repository.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** The List-Unsubscribe mailto, once the mailbox forwards to /inbound/unsubscribe. */
describe('mailto unsubscribe', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const subscriber = async (email: string) => (await subscribeByEmail(t.app.serviceContext('test'), { email, confirmed: true, source: 'api' })).subscriber;
  const tokenFor = (id: string) => signLinkToken({ subscriberId: id, purpose: 'unsubscribe', expiresAt: null }, t.app.linkKey());

  it('finds the token in provider JSON, form fields and raw messages', () => {
    expect(unsubscribeTokenIn({ Subject: 'unsubscribe abcdefghijkl.mnop' })).toBe('abcdefghijkl.mnop');
    expect(unsubscribeTokenIn({ subject: 'Re: unsubscribe abcdefghijkl' })).toBe('abcdefghijkl');
    expect(unsubscribeTokenIn('From: a@example.org\r\nSubject: unsubscribe abcdefghijkl-_x\r\n\r\nbody')).toBe('abcdefghijkl-_x');
    expect(unsubscribeTokenIn({ subject: 'hello' })).toBeNull();
    expect(unsubscribeTokenIn(null)).toBeNull();
  });

  it('unsubscribes from a Postmark-style JSON post and from a raw message piped by an MTA', async () => {
    const a = await subscriber('a@example.org');
    const b = await subscriber('b@example.org');
    const json = await t.app.inject({ method: 'POST', url: '/inbound/unsubscribe', payload: { From: 'a@example.org', Subject: `unsubscribe ${tokenFor(a.id)}` } });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual({ unsubscribed: true });
    const raw = await t.app.inject({
      method: 'POST', url: '/inbound/unsubscribe', headers: { 'content-type': 'message/rfc822' },
      payload: `From: b@example.org\r\nTo: unsubscribe@acme.example\r\nSubject: unsubscribe ${tokenFor(b.id)}\r\n\r\n`,
    });
    expect(raw.statusCode).toBe(200);
    expect((await findSubscriber(t.db, a.id))?.unsubscribed_at).not.toBeNull();
    expect((await findSubscriber(t.db, b.id))?.unsubscribed_at).not.toBeNull();
  });

  it('refuses a forged or missing token with a 400 naming the subject', async () => {
    const c = await subscriber('c@example.org');
    const forged = `${tokenFor(c.id).slice(0, -4)}AAAA`;
    for (const payload of [{ Subject: `unsubscribe ${forged}` }, { Subject: 'please stop' }]) {
      const response = await t.app.inject({ method: 'POST', url: '/inbound/unsubscribe', payload });
      expect(response.statusCode).toBe(400);
      expect(response.json().message).toMatch(/^subject:/);
    }
    expect((await findSubscriber(t.db, c.id))?.unsubscribed_at).toBeNull();
  });
});
