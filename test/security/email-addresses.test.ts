import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import addressparser from 'nodemailer/lib/addressparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailChannel } from '../../src/channels/email-channel.ts';
import { parseEmailAddress } from '../../src/domain/email-address.ts';
import { listMigrations } from '../../src/storage/migrate.ts';
import { insertSubscriber } from '../../src/storage/subscriber-repository.ts';
import { insertUser } from '../../src/storage/user-repository.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startSmtpServer } from '../helpers/smtp-server.ts';

/**
 * Address grammar attacks: strings nodemailer would parse into another mailbox (display names,
 * comments, quotes, angle brackets, lists, groups) must not get past sign-up, so one victim cannot
 * be mail-bombed past the per-address limits. Only a plain local@domain is accepted.
 */
let t: TestApp;
let subscribersWriter: string;
let admin: string;
let ip = 0;

beforeAll(async () => {
  t = await startTestApp();
  subscribersWriter = await t.token('subscribers:write');
  admin = await t.token('admin');
});
afterAll(() => t.close());

// A fresh source address per request, so the per-IP limit never hides the per-address one.
const form = (url: string, fields: Record<string, string>) =>
  t.app.inject({
    method: 'POST',
    url,
    payload: new URLSearchParams(fields).toString(),
    remoteAddress: `203.0.113.${++ip % 250}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
const api = (url: string, payload: unknown, token = subscribersWriter) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers: { authorization: `Bearer ${token}` } });
const storedAddresses = async () =>
  (await t.db.query<{ email: string }>("SELECT email FROM subscriber WHERE email IS NOT NULL AND email ILIKE '%victim%'")).map((r) => r.email);

const TRICKS = [
  '"Victim" <victim@example.org>',
  'Victim <victim@example.org>',
  '<victim@example.org>',
  'attacker(comment)@example.org',
  'victim@example.org(comment)',
  '(comment)victim@example.org',
  '"victim"@example.org',
  '"victim@example.org"@attacker.example',
  'a@attacker.example, victim@example.org',
  'a@attacker.example;victim@example.org',
  'list: victim@example.org;',
  'victim@example.org <attacker@attacker.example>',
  'vic tim@example.org',
  'victim@example.org\tx',
  'a@b@example.org',
  'victim@[192.0.2.1]',
  'victim@example..org',
  'victim@-example.org',
  'victim@example',
  '.victim@example.org',
  'vic..tim@example.org',
  'victim\\@example.org',
];

describe('only a plain local@domain address is accepted', () => {
  it.each(TRICKS)('the public form refuses %j', async (trick) => {
    const response = await form('/subscribe', { email: trick });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain('email: must be');
  });

  it.each(TRICKS)('the API refuses %j', async (trick) => {
    const response = await api('/api/v1/subscribers', { type: 'email', email: trick });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_input', field: 'email' });
  });

  it.each(TRICKS)('a webhook owner and a console account refuse %j', async (trick) => {
    const webhook = await form('/subscribe/webhook', { url: 'https://hooks.example.org/lifeline', email: trick });
    expect(webhook.statusCode).toBe(400);
    expect(webhook.body).toContain('email: must be');
    const account = await api('/api/v1/users', { email: trick, role: 'viewer' }, admin);
    expect(account.statusCode).toBe(400);
    expect(account.json()).toMatchObject({ error: 'invalid_input', field: 'email' });
  });

  it('stored nothing for any of the tricks', async () => {
    expect(await storedAddresses()).toEqual([]);
  });

  it('every address the rule accepts is one mailbox to nodemailer, exactly itself', () => {
    for (const address of ['ops@example.org', "o'brien+status@mail.example.co.uk", 'a.b-c_d@sub-domain.example', 'x!#$%&*/=?^`{|}~@example.org']) {
      const parsed = parseEmailAddress('email', address);
      expect(addressparser(parsed, { flatten: true })).toEqual([{ address: parsed, name: '' }]);
    }
  });
});

/**
 * DECISION (issue 11): the API and the public forms once let an address of up to 320 characters
 * through to the domain, which then refused anything past 254 (RFC 5321) in other words. Every door
 * now takes the contract's limit, 254, and names it.
 */
describe('an address is at most 254 characters at every door', () => {
  const local = 'a'.repeat(64);
  const at254 = `${local}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.org`;
  const at255 = `${local}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.org`;
  const at320 = `${local}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(59)}.org`;

  it('accepts 254 characters and refuses 255 and 320 (once let through to the domain) naming the limit', async () => {
    expect([at254.length, at255.length, at320.length]).toEqual([254, 255, 320]);
    expect((await api('/api/v1/subscribers', { type: 'email', email: at254 })).statusCode).toBe(201);
    for (const email of [at255, at320]) {
      const refused = await api('/api/v1/subscribers', { type: 'email', email });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toEqual({ error: 'invalid_input', field: 'email', message: 'email: must be at most 254 characters' });
      const owner = await api('/api/v1/subscribers', { type: 'webhook', url: 'https://hooks.example.org/long-owner', email });
      expect(owner.json()).toEqual({ error: 'invalid_input', field: 'email', message: 'email: must be at most 254 characters' });
      for (const [url, fields] of [
        ['/subscribe', { email }],
        ['/subscribe/webhook', { url: 'https://hooks.example.org/long-owner', email }],
      ] as const) {
        const page = await form(url, fields);
        expect(page.statusCode).toBe(400);
        expect(page.body).toContain('email: must be at most 254 characters');
      }
    }
  });

  it('the public forms say so in their maxlength', async () => {
    for (const url of ['/subscribe', '/subscribe/webhook']) {
      const page = await t.app.inject({ method: 'GET', url });
      expect(page.body).toContain('name="email" type="email" required autocomplete="email" maxlength="254"');
    }
    expect((await t.app.inject({ method: 'GET', url: '/subscribe/webhook' })).body).toContain('name="url" type="url" required maxlength="2000"');
  });
});

describe('addresses are stored normalised and compared case-insensitively', () => {
  it('lower-cases the domain, keeps the local part, and punycodes an internationalised domain', async () => {
    const created = await api('/api/v1/subscribers', { type: 'email', email: '  Ops.Team@Example.ORG ' });
    expect(created.statusCode).toBe(201);
    expect(created.json().email).toBe('Ops.Team@example.org');
    const idn = await api('/api/v1/subscribers', { type: 'email', email: 'ops@Bücher.example' });
    expect(idn.json().email).toBe('ops@xn--bcher-kva.example');
    const utf8Local = await api('/api/v1/subscribers', { type: 'email', email: 'jürgen@example.org' });
    expect(utf8Local.statusCode).toBe(400);
  });

  it('treats another casing of the local part as the same subscriber', async () => {
    expect((await api('/api/v1/subscribers', { type: 'email', email: 'Case@example.org' })).statusCode).toBe(201);
    expect((await api('/api/v1/subscribers', { type: 'email', email: 'cASE@EXAMPLE.org' })).statusCode).toBe(409);
  });

  it('counts the per-address limit across casings of one mailbox', async () => {
    const casings = ['victim@example.org', 'Victim@example.org', 'VICTIM@example.org', 'vIctim@Example.org', 'viCtim@EXAMPLE.ORG', 'vicTim@example.org'];
    const statuses: number[] = [];
    for (const email of casings) statuses.push((await form('/subscribe', { email })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(await storedAddresses()).toEqual(['victim@example.org']);
  });
});

describe('the email channel sends to exactly the given mailbox', () => {
  it('refuses a recipient nodemailer would re-parse into another mailbox, and sends nothing', async () => {
    const smtp = await startSmtpServer();
    const mailDir = mkdtempSync(join(tmpdir(), 'lifeline-mail-'));
    const channel = createEmailChannel({ smtpUrl: smtp.url, fallbackSmtpUrl: null, from: '"Acme Status" <status@acme.example>', mailDir });
    try {
      const base = { subject: 'Update', text: 'x', html: '<p>x</p>', headers: {} };
      for (const [n, to] of ['"Victim" <victim@example.org>', 'attacker(c)@example.org', '"a b"@example.org'].entries()) {
        const outcome = await channel.send({ ...base, to, messageId: `<trick-${n}@acme.example>` });
        expect(outcome).toMatchObject({ ok: false, permanent: true });
      }
      expect(smtp.connections).toBe(0);
      expect(await channel.send({ ...base, to: 'Ops@example.org', messageId: '<plain@acme.example>' })).toMatchObject({ ok: true });
      const [received] = await smtp.waitFor(1);
      expect(received.envelope).toEqual({ mailFrom: 'status@acme.example', rcptTo: ['Ops@example.org'] });
    } finally {
      await channel.close();
      await smtp.close();
      rmSync(mailDir, { recursive: true, force: true });
    }
  });
});

describe('addresses stored before the rule', () => {
  it('are brought under it by migration 010: account domains lower-cased, non-plain subscribers suppressed', async () => {
    const at = t.clock.now();
    const legacy = {
      type: 'email' as const,
      url: null,
      secret: null,
      all_components: true,
      component_ids: [],
      source: 'public' as const,
      confirmed_at: at,
      at,
    };
    await insertSubscriber(t.db, { ...legacy, id: 'legacy-bracketed', email: '<legacy-victim@example.org>' });
    await insertSubscriber(t.db, { ...legacy, id: 'legacy-comment', email: 'legacy(c)@example.org' });
    await insertSubscriber(t.db, { ...legacy, id: 'legacy-plain', email: "Legacy.O'Brien+x@example.org" });
    await insertUser(t.db, { id: 'legacy-account', email: 'Legacy.Admin@EXAMPLE.Org', name: null, role: 'viewer', at });

    const migration = listMigrations().find((m) => m.version.startsWith('010_'))!;
    await t.db.transaction((tx) => tx.exec(migration.sql));

    const subscribers = await t.db.query<{ id: string; suppressed: boolean }>(
      "SELECT id, suppressed_at IS NOT NULL AS suppressed FROM subscriber WHERE id LIKE 'legacy-%' ORDER BY id",
    );
    expect(subscribers).toEqual([
      { id: 'legacy-bracketed', suppressed: true },
      { id: 'legacy-comment', suppressed: true },
      { id: 'legacy-plain', suppressed: false },
    ]);
    expect((await t.db.query<{ email: string }>("SELECT email FROM responder_user WHERE id = 'legacy-account'"))[0].email).toBe('Legacy.Admin@example.org');
  });
});
