import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import PostalMime from 'postal-mime';
import { afterEach, describe, expect, it } from 'vitest';
import { fillLayout, slotMarker, type EmailChannel, type EmailLayout, type EmailMessage, type LayoutRecipient } from '../../src/channels/channel.ts';
import { createEmailChannel, type EmailChannelLog, type EmailChannelOptions } from '../../src/channels/email-channel.ts';
import { ManualClock } from '../../src/clock.ts';
import { closedPort, startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

// The app's logger must fit the channel's log option.
const fastifyLoggerFits: (log: FastifyBaseLogger) => EmailChannelLog = (log) => log;
void fastifyLoggerFits;

const FROM = '"Acme Status" <status@acme.example>';
// Longer than 76 characters, so nodemailer would fold it if we let it.
const UNSUBSCRIBE =
  '<https://status.acme.example/subscriptions/unsubscribe/v1.c3ViXzAxSjlYWjZQN0tRM0ZOOEhUNEI2.8f3a1c9d2e7b4a6f5c0d1e2f3a4b5c6d>, <mailto:unsubscribe+sub_01J9XZ@status.acme.example>';

function message(to: string, n = 1): EmailMessage {
  return {
    to,
    subject: `[Acme Chat] Elevated error rates on Messaging (${n})`,
    text: `We are investigating elevated error rates.\n\nUnsubscribe: https://status.acme.example/u/${n}`,
    html: `<p>We are investigating <strong>elevated error rates</strong>.</p><p><a href="https://status.acme.example/u/${n}">Unsubscribe</a></p>`,
    messageId: `<delivery-${n}.${to.replace(/[^a-z0-9]/gi, '')}@status.acme.example>`,
    headers: {
      'List-Unsubscribe': UNSUBSCRIBE,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'List-Id': 'Acme Chat status <acme-chat.status.acme.example>',
    },
  };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  // Channels first (their pools QUIT), then servers, then directories.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options?: Parameters<typeof startSmtpServer>[0]): Promise<TestSmtpServer> {
  const s = await startSmtpServer(options);
  cleanups.push(() => s.close());
  return s;
}

function channel(options: Partial<EmailChannelOptions> & Pick<EmailChannelOptions, 'smtpUrl'>): EmailChannel {
  const c = createEmailChannel({ fallbackSmtpUrl: null, from: FROM, mailDir: tempDir(), ...options });
  cleanups.push(() => c.close());
  return c;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-mail-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function header(raw: string, name: string): string[] {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  return head
    .split(/\r\n(?![ \t])/)
    .filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((line) => line.slice(name.length + 1));
}

describe('email channel over SMTP', () => {
  it('sends one complete message with the list headers on single lines', async () => {
    const smtp = await server();
    const email = channel({ smtpUrl: smtp.url });

    const outcome = await email.send(message('ada@example.net'));

    expect(outcome).toMatchObject({ ok: true });
    expect(outcome.ok && outcome.detail).toMatch(/^250/);
    const [received] = await smtp.waitFor(1);
    const { parsed, raw, envelope } = received;
    expect(envelope).toEqual({ mailFrom: 'status@acme.example', rcptTo: ['ada@example.net'] });
    expect(parsed.from).toMatchObject({ name: 'Acme Status', address: 'status@acme.example' });
    expect(parsed.to).toEqual([{ name: '', address: 'ada@example.net' }]);
    expect(parsed.subject).toBe('[Acme Chat] Elevated error rates on Messaging (1)');
    expect(parsed.messageId).toBe('<delivery-1.adaexamplenet@status.acme.example>');
    const parsedHeader = (key: string) => parsed.headers.find((h) => h.key === key)?.value;
    expect(parsedHeader('list-unsubscribe')).toBe(UNSUBSCRIBE);
    expect(parsedHeader('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(parsedHeader('list-id')).toBe('Acme Chat status <acme-chat.status.acme.example>');
    expect(parsed.text?.trim()).toBe('We are investigating elevated error rates.\n\nUnsubscribe: https://status.acme.example/u/1');
    expect(parsed.html).toContain('<strong>elevated error rates</strong>');
    // Exactly as given, unfolded: a folded List-Unsubscribe breaks DKIM on some relays.
    expect(header(raw, 'List-Unsubscribe')).toEqual([` ${UNSUBSCRIBE}`]);
    expect(header(raw, 'List-Unsubscribe-Post')).toEqual([' List-Unsubscribe=One-Click']);
    expect(raw).toMatch(/^Content-Type: multipart\/alternative/m);
  });

  it('sends one message per recipient, over one reused connection', async () => {
    const smtp = await server();
    const email = channel({ smtpUrl: smtp.url, poolSize: 1 });
    const recipients = ['a@example.net', 'b@example.net', 'c@example.net', 'd@example.net'];

    const outcomes = await Promise.all(recipients.map((to, i) => email.send(message(to, i))));
    await email.send(message('e@example.net', 9));

    expect(outcomes.every((o) => o.ok)).toBe(true);
    const received = await smtp.waitFor(5);
    expect(received.map((m) => m.envelope.rcptTo)).toEqual([...recipients, 'e@example.net'].map((r) => [r]));
    expect(received.map((m) => m.parsed.to?.map((a) => 'address' in a && a.address))).toEqual([...recipients, 'e@example.net'].map((r) => [r]));
    expect(received.every((m) => header(m.raw, 'Bcc').length === 0)).toBe(true);
    expect(smtp.connections).toBe(1);
  });

  it('reports a 550 for the recipient as permanent', async () => {
    const smtp = await server({ recipientRules: [{ match: /^gone@/, code: 550, message: '5.1.1 User unknown' }] });
    const email = channel({ smtpUrl: smtp.url });

    const outcome = await email.send(message('gone@example.net'));

    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(!outcome.ok && outcome.error).toMatch(/^smtp 550 5\.1\.1 User unknown \(RCPT TO at primary 127\.0\.0\.1:\d+\)$/);
    expect(smtp.messages).toHaveLength(0);
  });

  it('reports a 451 as retryable', async () => {
    const smtp = await server({ recipientRules: [{ match: /^busy@/, code: 451, message: '4.7.1 Try again later' }] });
    const email = channel({ smtpUrl: smtp.url });

    const outcome = await email.send(message('busy@example.net'));

    expect(outcome).toMatchObject({ ok: false, permanent: false });
    expect(!outcome.ok && outcome.error).toMatch(/^smtp 451 4\.7\.1 Try again later/);
    expect(!outcome.ok && outcome.retryAfterMs).toBeUndefined();

    smtp.setRecipientRules([]);
    expect(await email.send(message('busy@example.net'))).toMatchObject({ ok: true });
  });

  it('reports a 421 as retryable after a minute, and a dead relay as retryable', async () => {
    const smtp = await server({ mode: { refuse: 421 } });
    const refused = await channel({ smtpUrl: smtp.url }).send(message('ada@example.net'));
    expect(refused).toEqual({ ok: false, permanent: false, retryAfterMs: 60_000, error: expect.stringMatching(/^smtp 421 /) });

    const dead = await channel({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}` }).send(message('ada@example.net'));
    expect(dead).toMatchObject({ ok: false, permanent: false });
    expect(!dead.ok && dead.error).toMatch(/ECONNREFUSED/);
  });

  it('fails over to the fallback relay when the primary refuses with 421', async () => {
    const primary = await server({ mode: { refuse: 421 } });
    const fallback = await server();
    const clock = new ManualClock();
    const email = channel({ smtpUrl: primary.url, fallbackSmtpUrl: fallback.url, clock, failoverCooldownMs: 30_000 });

    const outcome = await email.send(message('ada@example.net'));
    expect(outcome).toMatchObject({ ok: true, detail: expect.stringContaining('via fallback') });
    expect((await fallback.waitFor(1))[0].parsed.to).toEqual([{ name: '', address: 'ada@example.net' }]);
    expect(primary.connections).toBe(1);

    // While the primary cools down, messages go straight to the fallback.
    expect(await email.send(message('bob@example.net'))).toMatchObject({ ok: true });
    await fallback.waitFor(2);
    expect(primary.connections).toBe(1);

    // Afterwards the primary gets its traffic back.
    primary.setMode('accept');
    clock.advance(30_001);
    expect(await email.send(message('cy@example.net'))).toMatchObject({ ok: true, detail: expect.not.stringContaining('fallback') });
    expect((await primary.waitFor(1))[0].envelope.rcptTo).toEqual(['cy@example.net']);
  });

  it('fails over to the fallback relay when the primary port is closed', async () => {
    const fallback = await server();
    const email = channel({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}`, fallbackSmtpUrl: fallback.url });

    expect(await email.send(message('ada@example.net'))).toMatchObject({ ok: true });
    expect((await fallback.waitFor(1))[0].parsed.messageId).toBe('<delivery-1.adaexamplenet@status.acme.example>');
  });

  it('does not fail over a hard bounce, and reports both relays when both fail', async () => {
    const primary = await server({ recipientRules: [{ match: /^gone@/, code: 550 }] });
    const fallback = await server();
    const email = channel({ smtpUrl: primary.url, fallbackSmtpUrl: fallback.url });
    expect(await email.send(message('gone@example.net'))).toMatchObject({ ok: false, permanent: true });
    expect(fallback.connections).toBe(0);

    primary.setMode({ refuse: 451 });
    fallback.setMode({ refuse: 421 });
    const both = await email.send(message('ada@example.net'));
    expect(both).toMatchObject({ ok: false, permanent: false, retryAfterMs: 60_000 });
    expect(!both.ok && both.error).toMatch(/^smtp 451 .*primary.*; then smtp 421 .*fallback/);
  });

  it('signs with DKIM over both List-Unsubscribe headers', async () => {
    const smtp = await server();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const email = channel({
      smtpUrl: smtp.url,
      dkim: { domainName: 'acme.example', keySelector: 'lifeline', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    });

    expect(await email.send(message('ada@example.net'))).toMatchObject({ ok: true });

    const [{ raw }] = await smtp.waitFor(1);
    const [signature] = header(raw, 'DKIM-Signature');
    const tags = Object.fromEntries(
      signature
        .replace(/\s+/g, '')
        .split(';')
        .filter(Boolean)
        .map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]),
    );
    expect(tags).toMatchObject({ v: '1', a: 'rsa-sha256', d: 'acme.example', s: 'lifeline', c: 'relaxed/relaxed' });
    const signed = tags.h.toLowerCase().split(':');
    expect(signed).toEqual(expect.arrayContaining(['from', 'to', 'subject', 'message-id', 'list-id', 'list-unsubscribe', 'list-unsubscribe-post']));
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(verifyDkim(raw, pem)).toBe(true);
    // A relay that rewrites List-Unsubscribe must break the signature (so the check above means something).
    expect(verifyDkim(raw.replace('List-Unsubscribe: <https://', 'List-Unsubscribe: <http://'), pem)).toBe(false);
  });

  it('refuses a message addressed to more than one recipient', async () => {
    const smtp = await server();
    const outcome = await channel({ smtpUrl: smtp.url }).send(message('a@example.net, b@example.net'));
    expect(outcome).toMatchObject({ ok: false, permanent: true, error: expect.stringContaining('exactly one address') });
    expect(smtp.connections).toBe(0);
  });

  it('refuses header injection through a header value', async () => {
    const smtp = await server();
    const email = channel({ smtpUrl: smtp.url });
    const evil = message('ada@example.net');
    evil.headers['List-Id'] = 'Acme <acme.example>\r\nBcc: victim@example.net';

    expect(await email.send(evil)).toMatchObject({ ok: true });
    const [{ raw, envelope }] = await smtp.waitFor(1);
    expect(header(raw, 'Bcc')).toEqual([]);
    expect(envelope.rcptTo).toEqual(['ada@example.net']);
  });
});

describe('copies of a notice layout', () => {
  const layout = (subject = '[Acme Chat] Elevated error rates on Messaging'): EmailLayout => ({
    subject,
    text: `We are investigating elevated error rates — in Zürich too.\n\nManage: ${slotMarker('manage')}\nUnsubscribe: ${slotMarker('unsubscribe')}`,
    html: `<p>We are investigating <strong>elevated error rates</strong> — in Zürich too.</p><p><a href="${slotMarker('manage')}">Manage</a> · <a href="${slotMarker('unsubscribe')}">Unsubscribe</a></p>`,
    headers: { 'List-Id': 'Acme Chat status <acme-chat.status.acme.example>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  });
  const recipient = (to: string, n: number): LayoutRecipient => ({
    to,
    messageId: `<delivery-${n}.7@status.acme.example>`,
    slots: {
      manage: { text: `https://status.acme.example/manage/m${n}?a=1&b=2`, html: `https://status.acme.example/manage/m${n}?a=1&amp;b=2` },
      unsubscribe: { text: `https://status.acme.example/unsubscribe/u${n}`, html: `https://status.acme.example/unsubscribe/u${n}` },
    },
    headers: { 'List-Unsubscribe': `<https://status.acme.example/unsubscribe/u${n}>, <mailto:unsubscribe@acme.example?subject=unsubscribe%20u${n}>` },
  });

  /** What a mail client shows of a message: the fields a copy must have exactly as the full composer writes them. */
  const seen = (m: { raw: string; parsed: Awaited<ReturnType<TestSmtpServer['waitFor']>>[number]['parsed'] }) => ({
    from: m.parsed.from,
    to: m.parsed.to,
    subject: m.parsed.subject,
    messageId: m.parsed.messageId,
    // postal-mime keeps the line break before the boundary of a quoted-printable part (the
    // composer's) and drops it for base64 (the copy's): the bodies are the same either way.
    text: m.parsed.text?.replace(/\n$/, ''),
    html: m.parsed.html?.replace(/\n$/, ''),
    listId: header(m.raw, 'List-Id'),
    unsubscribe: header(m.raw, 'List-Unsubscribe'),
    unsubscribePost: header(m.raw, 'List-Unsubscribe-Post'),
  });

  it('reads exactly as the message the full composer writes, each recipient with their own links', async () => {
    const smtp = await server();
    const email = channel({ smtpUrl: smtp.url, poolSize: 1 });
    const shared = layout();
    expect(await email.sendCopy(shared, recipient('ada@example.net', 1))).toMatchObject({ ok: true });
    expect(await email.sendCopy(shared, recipient('bob@example.net', 2))).toMatchObject({ ok: true });
    expect(await email.send(fillLayout(shared, recipient('ada@example.net', 1)))).toMatchObject({ ok: true });

    const [ada, bob, composed] = await smtp.waitFor(3);
    expect(seen(ada)).toEqual(seen(composed));
    // The copy was written from the prepared parts, not by the composer (which picks quoted-printable here).
    expect(ada.raw).toContain('Content-Transfer-Encoding: base64');
    expect(composed.raw).not.toContain('Content-Transfer-Encoding: base64');
    expect(ada.envelope.rcptTo).toEqual(['ada@example.net']);
    expect(bob.envelope.rcptTo).toEqual(['bob@example.net']);
    expect(bob.parsed.text).toContain('Manage: https://status.acme.example/manage/m2?a=1&b=2\n');
    expect(bob.parsed.html).toContain('href="https://status.acme.example/manage/m2?a=1&amp;b=2"');
    expect(bob.parsed.text).not.toMatch(/lifelineslot/);
    expect(header(bob.raw, 'List-Unsubscribe')).toEqual([
      ' <https://status.acme.example/unsubscribe/u2>, <mailto:unsubscribe@acme.example?subject=unsubscribe%20u2>',
    ]);
    // One line per header as the composer writes them, and every body line within RFC 5322's limit.
    for (const line of bob.raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    expect(header(bob.raw, 'Date')[0]).toMatch(/^ \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('encodes a non-ASCII subject as the composer does, and falls back to it for a header it cannot write as one line', async () => {
    const smtp = await server();
    const email = channel({ smtpUrl: smtp.url, poolSize: 1 });
    const accented = layout('[Acme Chat] Überlastung in Zürich: Nachrichten kommen verspätet an, wir arbeiten daran');
    const folded = { ...layout(), headers: { ...layout().headers, 'List-Id': 'Accès Chat status <acme-chat.status.acme.example>' } };
    expect(await email.sendCopy(accented, recipient('ada@example.net', 1))).toMatchObject({ ok: true });
    expect(await email.sendCopy(folded, recipient('ada@example.net', 2))).toMatchObject({ ok: true });
    expect(await email.send(fillLayout(folded, recipient('ada@example.net', 2)))).toMatchObject({ ok: true });

    const [copy, fallback, composed] = await smtp.waitFor(3);
    expect(copy.parsed.subject).toBe(accented.subject);
    expect(seen(fallback)).toEqual(seen(composed));
    expect(fallback.raw).not.toContain('Content-Transfer-Encoding: base64');
    expect(copy.raw).toContain('Content-Transfer-Encoding: base64');
    expect(fallback.parsed.text).toContain('https://status.acme.example/manage/m2?a=1&b=2');
  });

  it('refuses a copy for more than one recipient, and leaves no slot marker from incident text', async () => {
    const smtp = await server();
    const email = channel({ smtpUrl: smtp.url });
    const outcome = await email.sendCopy(layout(), recipient('a@example.net, b@example.net', 1));
    expect(outcome).toMatchObject({ ok: false, permanent: true, error: expect.stringContaining('exactly one address') });
    expect(smtp.connections).toBe(0);
    // A slot name nobody filled is left empty, never shown as a marker.
    const stray = { ...layout(), text: `Oops ${slotMarker('other')} here` };
    expect(fillLayout(stray, recipient('ada@example.net', 1)).text).toBe('Oops  here');
  });

  it('signs each copy with DKIM over its own List-Unsubscribe', async () => {
    const smtp = await server();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const email = channel({
      smtpUrl: smtp.url,
      dkim: { domainName: 'acme.example', keySelector: 'lifeline', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    });
    expect(await email.sendCopy(layout(), recipient('ada@example.net', 1))).toMatchObject({ ok: true });
    const [{ raw }] = await smtp.waitFor(1);
    expect(verifyDkim(raw, publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(true);
    expect(verifyDkim(raw.replace('unsubscribe/u1>', 'unsubscribe/u9>'), publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(false);
  });
});

describe('email channel header encoding', () => {
  it('encodes a non-ASCII List-Id name but keeps the id readable', async () => {
    const smtp = await server();
    const email = channel({ smtpUrl: smtp.url });
    const accented = message('ada@example.net');
    accented.headers['List-Id'] = 'Café Crème status <cafe.status.acme.example>';

    expect(await email.send(accented)).toMatchObject({ ok: true });
    const [{ raw, parsed }] = await smtp.waitFor(1);
    const [listId] = header(raw, 'List-Id');
    expect(listId).toMatch(/^ =\?UTF-8\?Q\?.*\?= <cafe\.status\.acme\.example>$/s);
    expect(parsed.headers.find((h) => h.key === 'list-id')?.value).toContain('<cafe.status.acme.example>');
  });
});

describe('email channel without SMTP', () => {
  it('writes each message as an .eml file in the mail dir', async () => {
    const mailDir = join(tempDir(), 'mail');
    const logged: object[] = [];
    const log = { info: (obj: object) => logged.push(obj), warn() {}, error() {} };
    const email = channel({ smtpUrl: null, mailDir, log });

    const outcome = await email.send(message('ada@example.net'));
    // A retry of the same delivery overwrites its file rather than adding one.
    await email.send(message('ada@example.net'));

    const files = readdirSync(mailDir);
    expect(files).toEqual(['delivery-1.adaexamplenet@status.acme.example.eml']);
    const path = join(mailDir, files[0]);
    expect(outcome).toEqual({ ok: true, detail: `written to ${path}` });
    expect(logged[0]).toMatchObject({ to: 'ada@example.net', path });
    const raw = readFileSync(path, 'utf8');
    const parsed = await PostalMime.parse(raw);
    expect(parsed.subject).toBe('[Acme Chat] Elevated error rates on Messaging (1)');
    expect(parsed.to).toEqual([{ name: '', address: 'ada@example.net' }]);
    expect(parsed.html).toContain('<strong>elevated error rates</strong>');
    expect(parsed.text).toContain('We are investigating');
    expect(header(raw, 'List-Unsubscribe')).toEqual([` ${UNSUBSCRIBE}`]);
  });
});

describe('email channel options', () => {
  it('names the option of an invalid SMTP URL', () => {
    const base = { fallbackSmtpUrl: null, from: FROM, mailDir: '/tmp' };
    expect(() => createEmailChannel({ ...base, smtpUrl: 'https://mail.example.net' })).toThrow(/^smtpUrl must use smtp:\/\/ or smtps:\/\//);
    expect(() => createEmailChannel({ ...base, smtpUrl: 'not a url' })).toThrow(/^smtpUrl is not a valid URL/);
    expect(() => createEmailChannel({ ...base, smtpUrl: 'smtp://127.0.0.1:2525', fallbackSmtpUrl: 'mailto:x@example.net' })).toThrow(
      /^fallbackSmtpUrl must use/,
    );
    expect(() => createEmailChannel({ ...base, smtpUrl: null, dkim: { domainName: 'a.example', keySelector: 's', privateKey: 'nope' } })).toThrow(
      /^dkim\.privateKey/,
    );
  });
});

/** RFC 6376 verification for relaxed/relaxed rsa-sha256, enough to prove the signature holds. */
function verifyDkim(raw: string, publicKeyPem: string): boolean {
  const split = raw.indexOf('\r\n\r\n');
  const headerLines = raw.slice(0, split).split(/\r\n(?![ \t])/);
  const relaxed = (line: string) => {
    const colon = line.indexOf(':');
    const value = line
      .slice(colon + 1)
      .replace(/\r\n/g, '')
      .replace(/[ \t]+/g, ' ')
      .trim();
    return `${line.slice(0, colon).trim().toLowerCase()}:${value}`;
  };
  const dkimLine = headerLines.find((l) => /^dkim-signature:/i.test(l))!;
  const tags = Object.fromEntries(
    dkimLine
      .slice(dkimLine.indexOf(':') + 1)
      .replace(/\s+/g, '')
      .split(';')
      .filter(Boolean)
      .map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]),
  );

  let body = raw
    .slice(split + 4)
    .split('\r\n')
    .map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''))
    .join('\r\n');
  body = body.replace(/(\r\n)*$/, '') + '\r\n';
  if (createHash('sha256').update(body).digest('base64') !== tags.bh) return false;

  const remaining = [...headerLines];
  let data = '';
  for (const name of tags.h.split(':')) {
    // Signed instances are taken from the bottom up.
    const index = remaining.findLastIndex((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    if (index === -1) continue;
    data += relaxed(remaining[index]) + '\r\n';
    remaining.splice(index, 1);
  }
  data += relaxed(dkimLine).replace(/b=[^;]*$/, 'b=');
  return verify('RSA-SHA256', Buffer.from(data), publicKeyPem, Buffer.from(tags.b, 'base64'));
}
