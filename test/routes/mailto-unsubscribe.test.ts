import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken } from '../../src/domain/link-token.ts';
import { unsubscribeTokenIn } from '../../src/routes/subscriptions/index.ts';
import { subscribeByEmail } from '../../src/services/subscribers/subscribe-by-email.ts';
import { findSubscriber } from '../../src/storage/subscriber-repository.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/** The List-Unsubscribe mailto, once the mailbox forwards to /inbound/unsubscribe. */
describe('mailto unsubscribe', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const subscriber = async (email: string) =>
    (await subscribeByEmail(t.app.serviceContext(labelledOperator('test')), { type: 'email', email, confirmed: true }, { source: 'api' })).subscriber;
  const tokenFor = (id: string) => signLinkToken({ subscriberId: id, purpose: 'unsubscribe', expiresAt: null }, t.app.linkKey());

  it('finds the token in provider JSON, form fields and raw messages', async () => {
    expect(await unsubscribeTokenIn({ Subject: 'unsubscribe abcdefghijkl.mnop' })).toBe('abcdefghijkl.mnop');
    expect(await unsubscribeTokenIn({ subject: 'Re: unsubscribe abcdefghijkl' })).toBe('abcdefghijkl');
    expect(await unsubscribeTokenIn('From: a@example.org\r\nSubject: unsubscribe abcdefghijkl-_x\r\n\r\nbody')).toBe('abcdefghijkl-_x');
    expect(await unsubscribeTokenIn({ subject: 'hello' })).toBeNull();
    expect(await unsubscribeTokenIn(null)).toBeNull();
  });

  it('unsubscribes from a Postmark-style JSON post and from a raw message piped by an MTA', async () => {
    const a = await subscriber('a@example.org');
    const b = await subscriber('b@example.org');
    const json = await t.app.inject({
      method: 'POST',
      url: '/inbound/unsubscribe',
      payload: { From: 'a@example.org', Subject: `unsubscribe ${tokenFor(a.id)}` },
    });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual({ unsubscribed: true });
    const raw = await t.app.inject({
      method: 'POST',
      url: '/inbound/unsubscribe',
      headers: { 'content-type': 'message/rfc822' },
      payload: `From: b@example.org\r\nTo: unsubscribe@acme.example\r\nSubject: unsubscribe ${tokenFor(b.id)}\r\n\r\n`,
    });
    expect(raw.statusCode).toBe(200);
    expect((await findSubscriber(t.db, a.id))?.unsubscribed_at).not.toBeNull();
    expect((await findSubscriber(t.db, b.id))?.unsubscribed_at).not.toBeNull();
  });

  /** A header value as mail clients encode it: RFC 2047 quoted-printable words of at most 40 characters, folded. */
  const encodedWords = (text: string) => {
    const q = [...Buffer.from(text, 'utf8')]
      .map((byte) =>
        /[A-Za-z0-9]/.test(String.fromCharCode(byte))
          ? String.fromCharCode(byte)
          : byte === 0x20
            ? '_'
            : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`,
      )
      .join('');
    const words = q.match(/(=[0-9A-F]{2}|[^=]){1,40}/g) ?? [];
    return words.map((word) => `=?UTF-8?Q?${word}?=`).join('\r\n ');
  };
  const rawMessage = (headers: string, body = 'Please stop.\r\n') =>
    t.app.inject({
      method: 'POST',
      url: '/inbound/unsubscribe',
      headers: { 'content-type': 'message/rfc822' },
      payload: `From: reader@example.org\r\nTo: unsubscribe@acme.example\r\n${headers}\r\n\r\n${body}`,
    });

  it('reads a raw message whose Subject a mail client folded onto two lines', async () => {
    const d = await subscriber('d@example.org');
    const response = await rawMessage(`Subject: Re: [Acme Status] unsubscribe\r\n ${tokenFor(d.id)}`);
    expect(response.statusCode).toBe(200);
    expect((await findSubscriber(t.db, d.id))?.unsubscribed_at).not.toBeNull();
  });

  it('reads a raw message whose long Subject is RFC 2047-encoded in several words', async () => {
    const e = await subscriber('e@example.org');
    const subject = `Réponse : unsubscribe ${tokenFor(e.id)}`;
    const response = await rawMessage(`MIME-Version: 1.0\r\nSubject: ${encodedWords(subject)}`);
    expect(response.statusCode).toBe(200);
    expect((await findSubscriber(t.db, e.id))?.unsubscribed_at).not.toBeNull();
  });

  it('reads a multipart raw message, not taking a Subject: line in the body for the header', async () => {
    const f = await subscriber('f@example.org');
    const g = await subscriber('g@example.org');
    const body = [
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Subject: unsubscribe ${tokenFor(g.id)}`,
      '',
      '--b1',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>stop</p>',
      '',
      '--b1--',
      '',
    ].join('\r\n');
    const response = await rawMessage(
      `MIME-Version: 1.0\r\nSubject: ${encodedWords(`unsubscribe ${tokenFor(f.id)}`)}\r\nContent-Type: multipart/alternative; boundary="b1"`,
      body,
    );
    expect(response.statusCode).toBe(200);
    expect((await findSubscriber(t.db, f.id))?.unsubscribed_at).not.toBeNull();
    expect((await findSubscriber(t.db, g.id))?.unsubscribed_at).toBeNull();
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
