import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import { signLinkToken } from '../../src/domain/link-token.ts';
import { renderMarkdown } from '../../src/presenters/markdown.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { CONSOLE_PASSWORD, consoleClient, type ConsoleSession } from '../helpers/console-client.ts';

/**
 * The second adversarial pass: what still got through after the first eleven holes were closed.
 * Each case is an attack that must be refused (a 4xx naming what is wrong), never a 500.
 */
let t: TestApp;
let admin: string;
let client: ReturnType<typeof consoleClient>;
let viewer: ConsoleSession;

beforeAll(async () => {
  t = await startTestApp({
    definition: validatePageDefinition({
      ...TEST_DEFINITION,
      heartbeats: [{ key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['us', 'eu'] }],
    }),
  });
  admin = await t.token('admin');
  client = consoleClient(t);
  await client.account('viewer@example.org', 'viewer');
  viewer = await client.signIn('viewer@example.org');
});
afterAll(() => t.close());

const api = (method: 'GET' | 'POST', url: string, payload?: unknown, token = admin) =>
  t.app.inject({ method, url, payload: payload as object | undefined, headers: { authorization: `Bearer ${token}` } });

function expectRefused(response: { statusCode: number; body: string; json(): unknown }, field: string, message: RegExp) {
  expect(response.statusCode, response.body).toBe(400);
  expect(response.json()).toMatchObject({ error: 'invalid_input', field });
  expect((response.json() as { message: string }).message).toMatch(message);
}

describe('row ids beyond what the database can hold', () => {
  // 1e20 is an integer to JSON and to the schema, but not a bigint: it reached PostgreSQL and came back a 500.
  const huge = '100000000000000000000';

  it('answers the dead-letter list with a 400 naming event_id', async () => {
    expectRefused(await api('GET', `/api/v1/deliveries/dead?event_id=${huge}`), 'event_id', /^event_id: /);
  });

  it('answers a replay of a notice with a 400 naming event_id, in the use-case (every door)', async () => {
    expectRefused(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/deliveries/replay',
        payload: `{"event_id":${huge}}`,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      }),
      'event_id',
      /^event_id: /,
    );
  });

  it('answers the console\'s failed deliveries and audit pages with a 400 page, not "something went wrong"', async () => {
    for (const url of [`/console/deliveries/dead?event=${huge}`, `/console/audit?before=${huge}`]) {
      const page = await client.get(url, viewer);
      expect(page.statusCode, url).toBe(400);
      expect(page.body).not.toContain('Something went wrong');
    }
  });
});

describe('heartbeat batches', () => {
  it('takes a batch that repeats a bucket (the last value wins, as a repeated push does), instead of a 500', async () => {
    const at = '2026-03-10T11:59:40Z';
    const response = await api('POST', '/api/v1/heartbeats', {
      points: [
        { metric: 'messages-created', region: 'us', timestamp: at, value: 5 },
        { metric: 'messages-created', region: 'eu', timestamp: at, value: 7 },
        // The same bucket written another way.
        { metric: 'messages-created', region: 'us', timestamp: '2026-03-10T12:59:40+01:00', value: 9 },
      ],
    });
    expect(response.statusCode, response.body).toBe(202);
    const rows = await t.db.query<{ region: string; value: number }>('SELECT region, value FROM heartbeat_point WHERE bucket = $1 ORDER BY region', [
      new Date(at),
    ]);
    expect(rows.map((r) => [r.region, Number(r.value)])).toEqual([
      ['eu', 7],
      ['us', 9],
    ]);
  });
});

describe('control characters in names', () => {
  // An ESC sequence in a token name is replayed into the operator's terminal by `lifeline token
  // list` (retitle the window, erase the line, print a fake row); a line break in an incident name
  // starts a line of its own in the plain-text email.
  const names = [
    'ci\u001b]0;owned\u0007\u001b[2K\u001b[1Alfl_fake  admin',
    'API errors\r\nManage your subscription: https://evil.example',
    'tab\there',
    'C1 \u009b31m',
  ];

  it('refuses them in token, incident, maintenance and account names, naming the field', async () => {
    for (const name of names) {
      expectRefused(await api('POST', '/api/v1/tokens', { name, scopes: ['incidents:write'] }), 'name', /control character/);
      expectRefused(await api('POST', '/api/v1/incidents', { name, body: 'Investigating.' }), 'name', /control character/);
      expectRefused(
        await api('POST', '/api/v1/maintenances', {
          name,
          body: 'x',
          scheduled_for: '2026-03-11T10:00:00Z',
          scheduled_until: '2026-03-11T11:00:00Z',
        }),
        'name',
        /control character/,
      );
      expectRefused(await api('POST', '/api/v1/users', { email: 'ctl@example.org', role: 'viewer', name }), 'name', /control character/);
    }
    const stored = await t.db.query<{ name: string }>('SELECT name FROM api_token UNION ALL SELECT name FROM incident');
    expect(stored.some((row) => /\p{Cc}/u.test(row.name))).toBe(false);
  });

  it('refuses terminal escapes in bodies, but keeps their line breaks and tabs', async () => {
    expectRefused(await api('POST', '/api/v1/incidents', { name: 'Escapes', body: 'Investigating \u001b[2J now.' }), 'body', /control character/);
    const ok = await api('POST', '/api/v1/incidents', { name: 'Line breaks', body: 'First line.\r\n\r\n\tIndented second paragraph.' });
    expect(ok.statusCode, ok.body).toBe(201);
  });
});

describe('the current-password check on the account page', () => {
  it('is limited like sign-in: after 5 wrong current passwords the 6th guess is not checked (429), even the right one', async () => {
    await client.account('stolen-laptop@example.org', 'viewer');
    const session = await client.signIn('stolen-laptop@example.org');
    // Past the window in which a fresh link sign-in may set a password without the old one.
    t.clock.advance(20 * 60_000);
    const change = (current: string) =>
      client.post(
        '/console/account/password',
        {
          _csrf: session.csrf,
          current,
          password: 'a brand new passphrase',
          confirm: 'a brand new passphrase',
        },
        session,
        { 'sec-fetch-site': 'same-origin' },
      );
    for (let guess = 0; guess < 5; guess++) expect((await change(`guess number ${guess}`)).statusCode).toBe(400);
    const sixth = await change(CONSOLE_PASSWORD);
    expect(sixth.statusCode).toBe(429);
    expect(sixth.body).toMatch(/Too many/);
    // Nothing was changed: the old password still signs in.
    await client.signIn('stolen-laptop@example.org');
  });
});

describe('subscriber links after unsubscribing', () => {
  const publicForm = (url: string, body = '') =>
    t.app.inject({ method: 'POST', url, payload: body, remoteAddress: '203.0.113.80', headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  it('a confirmation link used after unsubscribing says the link is not valid, not "You are subscribed", and confirms nothing', async () => {
    const signedUp = await publicForm('/subscribe', 'email=changed-my-mind%40example.org');
    expect(signedUp.statusCode, signedUp.body).toBe(200);
    const [{ id }] = await t.db.query<{ id: string }>("SELECT id FROM subscriber WHERE email = 'changed-my-mind@example.org'");
    const key = t.app.linkKey();
    const confirm = `/subscribe/confirm/${signLinkToken({ subscriberId: id, purpose: 'confirm', expiresAt: Math.floor(t.clock.now().getTime() / 1000) + 3600 }, key)}`;
    await publicForm(`/unsubscribe/${signLinkToken({ subscriberId: id, purpose: 'unsubscribe', expiresAt: null }, key)}`, 'List-Unsubscribe=One-Click');

    expect((await t.app.inject({ method: 'GET', url: confirm })).statusCode).toBe(404);
    const pressed = await publicForm(confirm);
    expect(pressed.statusCode).toBe(404);
    expect(pressed.body).not.toContain('You are subscribed');
    expect(pressed.body).toContain('This link is not valid');
    const [row] = await t.db.query<{ confirmed_at: Date | null }>('SELECT confirmed_at FROM subscriber WHERE id = $1', [id]);
    expect(row.confirmed_at).toBeNull();
  });
});

describe('one webhook endpoint, however its URL is spelled', () => {
  // Each spelling was a subscriber of its own: one confirmed sign-up per spelling made every notice
  // hit the same (someone else's) endpoint once more, and the recorded owner was never told.
  it('treats host case, the default port, dot segments and a fragment as the same endpoint, at every door', async () => {
    const loose = await startTestApp({ env: { LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true' } });
    try {
      const token = await loose.token('subscribers:write');
      const register = (url: string) =>
        loose.app.inject({ method: 'POST', url: '/api/v1/subscribers', payload: { type: 'webhook', url }, headers: { authorization: `Bearer ${token}` } });
      expect((await register('http://hooks.localhost:8081/lifeline')).statusCode).toBe(201);
      const spellings = [
        'http://HOOKS.localhost:8081/lifeline',
        'HTTP://hooks.localhost:8081/x/../lifeline',
        'http://hooks.localhost:8081/lifeline#again',
        'http://hooks.localhost:8081/./lifeline',
      ];
      for (const [index, url] of spellings.entries()) {
        expect((await register(url)).statusCode, url).toBe(409);
        const signUp = await loose.app.inject({
          method: 'POST',
          url: '/subscribe/webhook',
          remoteAddress: '203.0.113.90',
          payload: new URLSearchParams({ url, email: `someone-else-${index}@example.org` }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
        });
        expect(signUp.statusCode, url).toBe(200);
      }
      const rows = await loose.db.query<{ url: string }>("SELECT url FROM subscriber WHERE type = 'webhook'");
      expect(rows).toEqual([{ url: 'http://hooks.localhost:8081/lifeline' }]);
    } finally {
      await loose.close();
    }
  });
});

describe('remote images in incident bodies', () => {
  // The page's CSP already refuses them, but emails and feed readers fetched them: a tracking pixel
  // in an update told whoever wrote it which subscriber opened the email, when and from where.
  it('are shown as links, never loaded, in every format rendered from Markdown', async () => {
    const body = 'Details: ![status chart](https://tracker.example/pixel.png?subscriber=1)';
    expect(renderMarkdown(body)).not.toMatch(/<img/);
    expect(renderMarkdown(body)).toContain('href="https://tracker.example/pixel.png?subscriber=1"');
    const declared = await api('POST', '/api/v1/incidents', { name: 'Pixel', body });
    expect(declared.statusCode).toBe(201);
    await t.settle();
    for (const url of [`/incidents/${(declared.json() as { id: string }).id}`, '/history.atom', '/history.rss']) {
      const document = (await t.app.inject({ method: 'GET', url })).body;
      expect(document, url).toContain('tracker.example/pixel.png');
      expect(document, url).not.toMatch(/(<|&lt;)img/);
    }
  });
});
