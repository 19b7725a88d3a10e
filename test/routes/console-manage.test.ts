import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillLayout, type EmailChannel, type EmailMessage } from '../../src/channels/channel.ts';
import { validatePageDefinition } from '../../src/config.ts';
import { changeUserRole } from '../../src/services/access/change-user-role.ts';
import { evaluateHeartbeats } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { registerWebhook } from '../../src/services/subscribers/register-webhook.ts';
import { createUser } from '../../src/services/access/create-user.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { consoleClient, unescapeHtml, type ConsoleSession as Session } from '../helpers/console-client.ts';
import { startSmtpServer } from '../helpers/smtp-server.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/**
 * Console slice 2 through app.inject (PostgreSQL when DATABASE_URL is set, else PGlite): the signal
 * page and decisions on automatic notices, delivery progress and dead letters, and the manage pages
 * (components, subscribers, tokens, accounts, audit), with roles, CSRF and form errors.
 */
const DEFINITION = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [
    { key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['eu', 'us'] },
    { key: 'logins', label: 'Logins', bucket_seconds: 10, regions: ['eu'], public: false },
  ],
});
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let t: TestApp;
let client: ReturnType<typeof consoleClient>;
let admin: Session;
let responder: Session;
let viewer: Session;

const post = (...args: Parameters<typeof client.post>) => client.post(...args);
const get = (...args: Parameters<typeof client.get>) => client.get(...args);
const unescape = unescapeHtml;
const formIdOf = (html: string) => (/name="form_id" value="([^"]+)"/.exec(html) as RegExpExecArray)[1];
const tick = () =>
  evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), DEFINITION.heartbeats ?? [], {
    timeZone: 'UTC',
    maintenance: [],
    publicUrl: t.config.publicUrl,
  });
const count = async (sql: string, params: unknown[] = []) => Number((await t.db.query<{ n: string }>(sql, params))[0].n);

beforeAll(async () => {
  t = await startTestApp({ definition: DEFINITION });
  client = consoleClient(t);
  await client.account('admin@example.com', 'admin');
  await client.account('resp@example.com', 'responder');
  await client.account('view@example.com', 'viewer');
  admin = await client.signIn('admin@example.com');
  responder = await client.signIn('resp@example.com');
  viewer = await client.signIn('view@example.com');
});
afterAll(() => t?.close());

describe('roles, CSRF and server timing on the new pages', () => {
  it('shows every read page to a viewer without its controls, the admin pages to admins only', async () => {
    for (const url of [
      '/console/signal',
      '/console/signal?range=7d',
      '/console/deliveries/dead',
      '/console/subscribers',
      '/console/components',
      '/console/audit',
    ]) {
      const page = await get(url, viewer);
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['cache-control'], url).toBe('no-store');
      expect(page.headers['server-timing'], url).toMatch(/^app;dur=\d+(\.\d)?$/);
      expect(page.body, url).not.toMatch(/Dismiss as false alarm|>Replay|Set status|Make a new secret|Import email addresses/);
    }
    for (const url of ['/console/tokens', '/console/users']) {
      expect((await get(url, viewer)).statusCode, url).toBe(403);
      expect((await get(url, responder)).statusCode, url).toBe(403);
      expect((await get(url, admin)).statusCode, url).toBe(200);
    }
    expect((await get('/console/subscribers/import', viewer)).statusCode).toBe(403);
    expect((await get('/console/subscribers/import', responder)).statusCode).toBe(200);
    expect((await get('/console/signal')).statusCode).toBe(303); // not signed in
    // The nav: admin links for admins only; every new page for everyone else.
    const nav = (await get('/console', viewer)).body;
    expect(nav).toContain('href="/console/signal"');
    expect(nav).toContain('href="/console/audit"');
    expect(nav).not.toContain('href="/console/tokens"');
    expect((await get('/console', admin)).body).toContain('href="/console/users"');
  });

  it('refuses every new state-changing form from a viewer (403) and without the CSRF token (403)', async () => {
    const component = await t.componentId('eu-api');
    const posts: [string, Record<string, string>][] = [
      ['/console/signal/notices/x1/dismiss', {}],
      ['/console/signal/notices/x1/convert', { body: 'x' }],
      ['/console/deliveries/replay', { id: '1' }],
      [`/console/components/${component}/status`, { status: 'major_outage' }],
      ['/console/subscribers/x1/remove', {}],
      ['/console/subscribers/x1/disable', {}],
      ['/console/subscribers/x1/reactivate', {}],
      ['/console/subscribers/x1/rotate-secret', {}],
      ['/console/subscribers/import', { csv: 'a@example.com' }],
      ['/console/tokens', { name: 'n', scopes: 'admin' }],
      ['/console/tokens/x1/revoke', {}],
      ['/console/users', { email: 'x@example.com', role: 'admin' }],
      ['/console/users/x1/role', { role: 'admin' }],
      ['/console/users/x1/disable', {}],
    ];
    for (const [url, fields] of posts) {
      const asViewer = await post(url, { ...fields, _csrf: viewer.csrf }, viewer);
      expect(asViewer.statusCode, url).toBe(403);
      expect(asViewer.body, url).toContain('your role (viewer) cannot do this');
      const noToken = await post(url, fields, admin);
      expect(noToken.statusCode, url).toBe(403);
      expect(noToken.body, url).toContain('this form has expired');
      expect((await post(url, { ...fields, _csrf: admin.csrf }, admin, { 'sec-fetch-site': 'cross-site' })).statusCode, url).toBe(403);
    }
    expect((await t.db.query("SELECT status FROM component WHERE key = 'eu-api'"))[0].status).toBe('operational');
    expect(await count('SELECT count(*) AS n FROM api_token')).toBe(0);
  });
});

describe('signal: charts and automatic notices', () => {
  let notices: { id: string; region: string }[];

  beforeAll(async () => {
    // Three hours of steady pushes, then nothing: the detector opens a notice per region of messages-created.
    await t.db.query(
      `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at)
       SELECT m, r, b, 1000, b FROM generate_series($1::timestamptz - interval '3 hours', $1::timestamptz - interval '10 seconds', interval '10 seconds') AS b,
         (VALUES ('messages-created', 'eu'), ('messages-created', 'us'), ('logins', 'eu')) AS s(m, r)`,
      [t.clock.now()],
    );
    for (let i = 0; i < 40; i++) {
      t.clock.advance(5_000);
      // logins keeps arriving: only messages-created drops.
      await t.db.query(
        "INSERT INTO heartbeat_point (metric, region, bucket, value, received_at) VALUES ('logins', 'eu', $1, 1000, $1) ON CONFLICT DO NOTHING",
        [new Date(Math.floor(t.clock.now().getTime() / 10_000) * 10_000 - 10_000)],
      );
      const { transitions } = await tick();
      if (transitions.filter((x) => x.startsWith('fired:')).length >= 2) break;
    }
    notices = await t.db.query<{ id: string; region: string }>(
      "SELECT i.id, e.region FROM incident i JOIN heartbeat_episode e ON e.incident_id = i.id WHERE i.source = 'heartbeat' AND i.resolved_at IS NULL ORDER BY e.region",
    );
    expect(notices.map((n) => n.region)).toEqual(['eu', 'us']);
  });

  it('shows every series chart (internal ones too), its state, and the open notices with the two decisions', async () => {
    const page = await get('/console/signal', responder);
    expect(page.statusCode).toBe(200);
    expect(page.body.match(/<svg[^>]*class="hb-chart"/g)).toHaveLength(3);
    expect(page.body).toContain('Logins in EU <span class="badge">internal</span>');
    expect(page.body).toMatch(/Messages created in EU[\s\S]*?No data since/);
    for (const n of notices) {
      expect(page.body).toContain(`href="/console/signal/notices/${n.id}/convert"`);
      expect(page.body).toContain(`action="/console/signal/notices/${n.id}/dismiss"`);
    }
    expect((await get('/console/signal', viewer)).body).toContain('a responder or admin decides');
    const dashboard = await get('/console', responder);
    expect(dashboard.body).toMatch(/id="signal-heading"[\s\S]*Take over as incident[\s\S]*Dismiss as false alarm/);
    expect(dashboard.body).toMatch(/Logins in EU <span class="badge">internal<\/span> — <span class="status s-/);
  });

  it('dismisses a notice as a false alarm (bad input re-renders the form with the error next to the field)', async () => {
    const eu = notices[0].id;
    const page = await get('/console/signal', responder);
    const tooLong = await post(`/console/signal/notices/${eu}/dismiss`, { _csrf: responder.csrf, reason: 'x'.repeat(1001) }, responder);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toMatch(new RegExp(`id="reason-${eu}-error">must be at most 1000 characters`));
    const formId = (new RegExp(`action="/console/signal/notices/${eu}/dismiss"[\\s\\S]*?name="form_id" value="([^"]+)"`).exec(page.body) as RegExpExecArray)[1];
    const dismissed = await post(`/console/signal/notices/${eu}/dismiss`, { _csrf: responder.csrf, form_id: formId, reason: 'planned load test' }, responder);
    expect(dismissed.statusCode, dismissed.body).toBe(303);
    expect(dismissed.headers.location).toBe('/console/signal?done=dismissed');
    const [row] = await t.db.query<{ status: string; resolved_at: Date | null }>('SELECT status, resolved_at FROM incident WHERE id = $1', [eu]);
    expect(row.status).toBe('resolved');
    const [audit] = await t.db.query<{ actor: string; details: unknown }>("SELECT actor, details FROM audit_log WHERE action = 'heartbeat_notice.dismissed'");
    expect(audit.actor).toBe('user:resp@example.com');
    expect(JSON.stringify(audit.details)).toContain('planned load test');
    // A double click replays the first answer; a new form on a decided notice is a 409 page, not a 500.
    expect(
      (await post(`/console/signal/notices/${eu}/dismiss`, { _csrf: responder.csrf, form_id: formId, reason: 'planned load test' }, responder)).statusCode,
    ).toBe(303);
    const again = await post(`/console/signal/notices/${eu}/dismiss`, { _csrf: responder.csrf }, responder);
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('already dismissed');
    expect((await get('/console/signal?done=dismissed', responder)).body).toContain('Dismissed as a false alarm');
  });

  it('takes a notice over as an incident with a first update', async () => {
    const us = notices[1].id;
    const form = await get(`/console/signal/notices/${us}/convert`, responder);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Take over as incident');
    expect((await get(`/console/signal/notices/${us}/convert`, viewer)).statusCode).toBe(403);
    const component = await t.componentId('us-messaging');
    const noBody = await post(
      `/console/signal/notices/${us}/convert`,
      { _csrf: responder.csrf, status: 'identified', body: '', [`component:${component}`]: 'major_outage' },
      responder,
    );
    expect(noBody.statusCode).toBe(400);
    expect(noBody.body).toMatch(/id="body-error">is required to post an update/);
    const converted = await post(
      `/console/signal/notices/${us}/convert`,
      {
        _csrf: responder.csrf,
        form_id: formIdOf(form.body),
        intent: 'publish',
        status: 'identified',
        impact: '',
        body: 'A failover stalled message writes in the US.',
        [`component:${component}`]: 'major_outage',
        notify: 'on',
      },
      responder,
    );
    expect(converted.statusCode, converted.body).toBe(303);
    expect(converted.headers.location).toBe(`/console/incidents/${us}?done=converted`);
    const [row] = await t.db.query<{ source: string; status: string }>('SELECT source, status FROM incident WHERE id = $1', [us]);
    expect(row).toEqual({ source: 'responder', status: 'identified' });
    expect((await t.db.query<{ status: string }>('SELECT status FROM component WHERE id = $1', [component]))[0].status).toBe('major_outage');
    expect((await get(`/console/incidents/${us}?done=converted`, responder)).body).toContain('Taken over: this is now a normal incident');
    const gone = await post(`/console/signal/notices/${us}/dismiss`, { _csrf: responder.csrf }, responder);
    expect(gone.statusCode).toBe(409);
  });
});

describe('reach: delivery progress and dead letters', () => {
  let incidentId: string;
  let eventId: number;

  beforeAll(async () => {
    const declared = await post(
      '/console/incidents',
      { _csrf: responder.csrf, name: 'Reach test', status: 'investigating', body: 'Looking into it.', notify: 'on' },
      responder,
    );
    expect(declared.statusCode, declared.body).toBe(303);
    incidentId = /\/console\/incidents\/([A-Za-z0-9_-]+)/.exec(declared.headers.location as string)?.[1] as string;
    eventId = Number((await t.db.query<{ id: string }>("SELECT id FROM outbox_event WHERE payload->>'incident_id' = $1", [incidentId]))[0].id);
  });

  const progress = async (session: Session = viewer) => {
    const response = await get(`/console/incidents/${incidentId}/progress.json`, session);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    return response.json() as {
      active: boolean;
      updates: {
        update_id: string;
        state: string;
        text: string;
        dead_url: string | null;
        channels: { channel: string; targeted: number; sent: number; failed: number; pending: number }[];
      }[];
    };
  };

  it('reports progress per update and channel as the pipeline moves, live and on the page', async () => {
    // The web role only writes the outbox: until a dispatcher expands it, the update is "choosing recipients".
    const waiting = await progress();
    expect(waiting.active).toBe(true);
    expect(waiting.updates[0]).toMatchObject({ state: 'waiting', channels: [] });

    // What the dispatcher and workers would write: four recipients, in every state.
    const ids = (
      await t.db.query<{ id: string }>(
        `INSERT INTO subscriber (id, type, email, url, all_components, source, confirmed_at, created_at, updated_at)
       SELECT 'reach' || n, CASE WHEN n = 4 THEN 'webhook' ELSE 'email' END, CASE WHEN n = 4 THEN NULL ELSE 'reach' || n || '@example.org' END,
              CASE WHEN n = 4 THEN 'https://hooks.example.org/reach' END, true, 'api', $1, $1, $1
       FROM generate_series(1, 4) AS n RETURNING id`,
        [t.clock.now()],
      )
    ).map((r) => r.id);
    await t.db.query(
      `INSERT INTO delivery (event_id, subscriber_id, channel, state, attempts, next_attempt_at, created_at, last_error)
       SELECT $1, s.id, s.type, st, CASE st WHEN 'dead' THEN 8 ELSE 1 END, $2, $2, CASE st WHEN 'dead' THEN 'SMTP 550 mailbox unavailable' END
       FROM unnest($3::text[], $4::text[]) AS x(sid, st) JOIN subscriber s ON s.id = x.sid`,
      [eventId, t.clock.now(), ids, ['sent', 'pending', 'dead', 'sent']],
    );
    await t.db.query('UPDATE outbox_event SET dispatched_at = $2 WHERE id = $1', [eventId, t.clock.now()]);
    const sending = await progress();
    expect(sending.active).toBe(true);
    expect(sending.updates[0].state).toBe('sending');
    expect(sending.updates[0].channels.map((c) => [c.channel, c.targeted, c.sent, c.failed, c.pending])).toEqual([
      ['email', 3, 1, 1, 1],
      ['webhook', 1, 1, 0, 0],
    ]);
    expect(sending.updates[0].dead_url).toBe(`/console/deliveries/dead?event=${eventId}`);

    const page = await get(`/console/incidents/${incidentId}`, viewer);
    expect(page.body).toContain(`data-progress-url="/console/incidents/${incidentId}/progress.json" data-active="1"`);
    expect(page.body).toMatch(/<th scope="row">Email<span class="bar"[\s\S]*?<td>3<\/td><td>1<\/td><td>1<\/td><td>1<\/td>/);
    expect(page.body).toContain('>Refresh</a>');

    await t.db.query("UPDATE delivery SET state = 'sent' WHERE event_id = $1 AND state = 'pending'", [eventId]);
    const done = await progress();
    expect(done.active).toBe(false);
    expect(done.updates[0]).toMatchObject({ state: 'done', text: 'Done, 1 failed.' });
    expect((await get(`/console/incidents/${incidentId}/progress.json`)).statusCode).toBe(303); // needs a session
  });

  it('lists dead letters with the reason and replays one, or every one of a notice', async () => {
    const page = await get(`/console/deliveries/dead?event=${eventId}`, responder);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('reach3@example.org');
    expect(page.body).toContain('SMTP 550 mailbox unavailable');
    expect(page.body).toContain('Reach test');
    const deadId = Number((await t.db.query<{ id: string }>("SELECT id FROM delivery WHERE state = 'dead' AND event_id = $1", [eventId]))[0].id);
    const replayed = await post(
      '/console/deliveries/replay',
      { _csrf: responder.csrf, id: String(deadId), event_id: String(eventId), back: 'event' },
      responder,
    );
    expect(replayed.statusCode).toBe(303);
    expect(replayed.headers.location).toBe(`/console/deliveries/dead?event=${eventId}&done=deliveries-replayed`);
    const [row] = await t.db.query<{ state: string; attempts: number }>('SELECT state, attempts FROM delivery WHERE id = $1', [deadId]);
    expect(row).toEqual({ state: 'pending', attempts: 0 });
    const [audit] = await t.db.query<{ actor: string }>("SELECT actor FROM audit_log WHERE action = 'delivery.replayed'");
    expect(audit.actor).toBe('user:resp@example.com');
    // Replaying it again does nothing (it is not dead any more), and says so.
    expect((await post('/console/deliveries/replay', { _csrf: responder.csrf, id: String(deadId) }, responder)).headers.location).toBe(
      '/console/deliveries/dead?done=nothing-replayed',
    );

    await t.db.query("UPDATE delivery SET state = 'dead', last_error = 'HTTP 500' WHERE event_id = $1", [eventId]);
    const all = await post('/console/deliveries/replay', { _csrf: responder.csrf, event_id: String(eventId) }, responder);
    expect(all.headers.location).toBe('/console/deliveries/dead?done=deliveries-replayed');
    expect(await count("SELECT count(*) AS n FROM delivery WHERE event_id = $1 AND state = 'pending'", [eventId])).toBe(4);
    expect((await post('/console/deliveries/replay', { _csrf: responder.csrf }, responder)).statusCode).toBe(400);
    expect((await get('/console/deliveries/dead', viewer)).body).toContain('No failed deliveries.');
  });
});

describe('manage: subscribers', () => {
  it('imports a CSV (created, existing and invalid lines shown), from a header or a plain list', async () => {
    const page = await get('/console/subscribers/import', responder);
    const csv = 'email,components\nana@example.com,eu-messaging\nben@example.org,\nnot-an-address,\nana@example.com,\ncara@example.net,nope-component\n';
    const imported = await post(
      '/console/subscribers/import',
      { _csrf: responder.csrf, form_id: formIdOf(page.body), csv, confirmed: 'on', intent: 'publish' },
      responder,
    );
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.body).toContain('<strong>Import done:</strong> 2 added, 1 already subscribed, 2 not imported.');
    expect(imported.body).toMatch(/<td>4<\/td><td>email: must be an email address/);
    expect(imported.body).toMatch(/<td>6<\/td><td>component_ids.0: no such component &quot;nope-component&quot;/);
    // The same form sent twice imports once.
    const twice = await post('/console/subscribers/import', { _csrf: responder.csrf, form_id: formIdOf(page.body), csv, confirmed: 'on' }, responder);
    expect(twice.body).toContain('This list was already imported');
    const plain = await post(
      '/console/subscribers/import',
      { _csrf: responder.csrf, csv: Array.from({ length: 55 }, (_, i) => `bulk${String(i).padStart(2, '0')}@example.com`).join('\r\n') },
      responder,
    );
    expect(plain.body).toContain('55 added, 0 already subscribed, 0 not imported');
    expect(await count("SELECT count(*) AS n FROM subscriber WHERE source = 'import' AND confirmed_at IS NULL")).toBe(55); // unconfirmed: they get a confirmation email
    const noHeader = await post('/console/subscribers/import', { _csrf: responder.csrf, csv: 'name,address\nAna,ana@x' }, responder);
    expect(noHeader.statusCode).toBe(400);
    expect(noHeader.body).toMatch(/id="csv-error">the first line must be a header with an &quot;email&quot; column/);
    expect(noHeader.body).toContain('name,address'); // what was pasted is kept
    expect((await post('/console/subscribers/import', { _csrf: responder.csrf, csv: '' }, responder)).statusCode).toBe(400);
  });

  it('searches, filters by type and pages by id; removes a subscriber', async () => {
    const first = await get('/console/subscribers', viewer);
    expect(first.body.match(/<tr id="subscriber-/g)).toHaveLength(50);
    const next = unescape(/href="(\/console\/subscribers\?after[^"]+)" rel="next"/.exec(first.body)?.[1] ?? '');
    expect(next).toMatch(/^\/console\/subscribers\?after=[a-z0-9]+$/);
    const second = await get(next, viewer);
    expect(second.body).toContain('← First page');
    const firstIds = [...first.body.matchAll(/<tr id="subscriber-([^"]+)"/g)].map((m) => m[1]);
    const secondIds = [...second.body.matchAll(/<tr id="subscriber-([^"]+)"/g)].map((m) => m[1]);
    expect(secondIds.some((id) => firstIds.includes(id))).toBe(false);

    const search = await get('/console/subscribers?search=ben%40example', viewer);
    expect(search.body.match(/<tr id="subscriber-/g)).toHaveLength(1);
    expect(search.body).toContain('ben@example.org');
    // A viewer sees a webhook's URL elided (it is the endpoint's credential); a responder sees it whole.
    expect((await get('/console/subscribers?type=webhook', viewer)).body).toContain('https://hooks.example.org/…<');
    expect((await get('/console/subscribers?type=webhook', viewer)).body).not.toContain('hooks.example.org/reach');
    expect((await get('/console/subscribers?type=webhook', responder)).body).toContain('https://hooks.example.org/reach');
    expect((await get('/console/subscribers?type=webhook', viewer)).body).not.toContain('ben@example.org');

    const ben = (await t.db.query<{ id: string }>("SELECT id FROM subscriber WHERE email = 'ben@example.org'"))[0].id;
    const removed = await post(`/console/subscribers/${ben}/remove`, { _csrf: responder.csrf, back: '/console/subscribers?search=ben%40example' }, responder);
    expect(removed.statusCode).toBe(303);
    expect(removed.headers.location).toBe('/console/subscribers?search=ben%40example&done=subscriber-removed');
    expect((await get('/console/subscribers?search=ben%40example', viewer)).body).toContain('No subscriber matches.');
    expect(
      (await t.db.query<{ unsubscribed_at: Date | null }>('SELECT unsubscribed_at FROM subscriber WHERE id = $1', [ben]))[0].unsubscribed_at,
    ).not.toBeNull();
    expect((await post('/console/subscribers/nope/remove', { _csrf: responder.csrf }, responder)).statusCode).toBe(404);
    // An unsafe back= is not followed.
    const ana = (await t.db.query<{ id: string }>("SELECT id FROM subscriber WHERE email = 'ana@example.com'"))[0].id;
    expect((await post(`/console/subscribers/${ana}/remove`, { _csrf: responder.csrf, back: 'https://evil.example/' }, responder)).headers.location).toBe(
      '/console/subscribers?done=subscriber-removed',
    );
  });

  it('disables, re-enables and rotates the secret of a webhook endpoint (the secret shown once)', async () => {
    const { subscriber } = await registerWebhook(
      t.app.serviceContext(labelledOperator('test')),
      { type: 'webhook', url: 'https://hooks.example.com/status' },
      async () => ({ ok: true }),
      () => 'whsec_old',
    );
    const row = () =>
      t.db
        .query<{ disabled_at: Date | null; disabled_reason: string | null; secret: string }>(
          'SELECT disabled_at, disabled_reason, secret FROM subscriber WHERE id = $1',
          [subscriber.id],
        )
        .then((r) => r[0]);
    // The reason's limit is the use-case's contract: the box says it, the use-case holds to it.
    expect((await get('/console/subscribers?type=webhook', responder)).body).toContain(
      `id="disable-${subscriber.id}" name="reason" type="text" maxlength="500"`,
    );
    const tooLong = await post(`/console/subscribers/${subscriber.id}/disable`, { _csrf: responder.csrf, reason: 'x'.repeat(501) }, responder);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain('reason: must be at most 500 characters');
    expect((await row()).disabled_at).toBeNull();
    const disabled = await post(`/console/subscribers/${subscriber.id}/disable`, { _csrf: responder.csrf, reason: 'owner asked to pause' }, responder);
    expect(disabled.statusCode).toBe(303);
    expect(await row()).toMatchObject({ disabled_reason: 'owner asked to pause' });
    expect((await get('/console/subscribers?type=webhook', viewer)).body).toContain('Disabled: owner asked to pause');
    expect((await post(`/console/subscribers/${subscriber.id}/reactivate`, { _csrf: responder.csrf }, responder)).statusCode).toBe(303);
    expect((await row()).disabled_at).toBeNull();

    const list = await get('/console/subscribers?type=webhook', responder);
    const formId = (
      new RegExp(
        `/console/subscribers/${subscriber.id}/rotate-secret"><input type="hidden" name="_csrf" value="[^"]+"><input type="hidden" name="form_id" value="([^"]+)"`,
      ).exec(list.body) as RegExpExecArray
    )[1];
    const rotated = await post(`/console/subscribers/${subscriber.id}/rotate-secret`, { _csrf: responder.csrf, form_id: formId }, responder);
    expect(rotated.statusCode).toBe(200);
    const shown = unescape(/id="shown-once-value" type="text" readonly value="(whsec_[^"]+)"/.exec(rotated.body)?.[1] ?? '');
    expect(shown).toBeTruthy();
    expect((await row()).secret).toBe(shown);
    expect(rotated.headers['referrer-policy']).toBe('same-origin');
    const replay = await post(`/console/subscribers/${subscriber.id}/rotate-secret`, { _csrf: responder.csrf, form_id: formId }, responder);
    expect(replay.body).toContain('This form was already submitted');
    expect(replay.body).not.toContain('whsec_');
    expect((await row()).secret).toBe(shown);
    const actions = (await t.db.query<{ action: string }>('SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id', [subscriber.id])).map(
      (r) => r.action,
    );
    expect(actions).toEqual(['subscriber.created', 'subscriber.disabled', 'subscriber.reactivated', 'subscriber.secret_rotated']);
  });
});

describe('manage: components, tokens, accounts, audit', () => {
  it('sets a component status through the use-case; the page says the structure comes from the config file', async () => {
    const page = await get('/console/components', responder);
    expect(page.body).toContain('lifeline.config.yaml');
    expect(page.body).toContain('To manage them here instead, set');
    expect(page.body).not.toContain('Add a component');
    const id = await t.componentId('website');
    const bad = await post(`/console/components/${id}/status`, { _csrf: responder.csrf, status: 'on_fire' }, responder);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(new RegExp(`id="status-${id}-error">must be one of`));
    const set = await post(`/console/components/${id}/status`, { _csrf: responder.csrf, status: 'degraded_performance' }, responder);
    expect(set.statusCode).toBe(303);
    expect(set.headers.location).toBe(`/console/components?done=component-updated#component-${id}`);
    await t.settle();
    const summary = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json();
    expect(summary.components.find((c: { id: string }) => c.id === id).status).toBe('degraded_performance');
    expect((await post(`/console/components/nope/status`, { _csrf: responder.csrf, status: 'operational' }, responder)).statusCode).toBe(404);
  });

  it('creates a token shown once (it works on the API), lists it without the secret, and revokes it', async () => {
    const page = await get('/console/tokens', admin);
    const none = await post('/console/tokens', { _csrf: admin.csrf, name: 'ci' }, admin);
    expect(none.statusCode).toBe(400);
    expect(none.body).toMatch(/id="scopes-error">must list at least one of/);
    expect(none.body).toContain('value="ci"');
    const created = await post(
      '/console/tokens',
      { _csrf: admin.csrf, form_id: formIdOf(page.body), name: 'ci', scopes: ['tokens:write', 'incidents:write'] },
      admin,
    );
    expect(created.statusCode).toBe(201);
    const token = unescape(/readonly value="(lfl_[^"]+)"/.exec(created.body)?.[1] ?? '');
    expect(token).toMatch(/^lfl_[A-Za-z0-9_-]{8}_/);
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: { authorization: `Bearer ${token}` } });
    expect(api.statusCode).toBe(200);
    const list = await get('/console/tokens', admin);
    expect(list.body).toContain(token.slice(0, 12));
    expect(list.body).not.toContain(token);
    expect(
      (await post('/console/tokens', { _csrf: admin.csrf, form_id: formIdOf(page.body), name: 'ci', scopes: ['tokens:write', 'incidents:write'] }, admin)).body,
    ).toContain('This form was already submitted');
    const id = (await t.db.query<{ id: string }>("SELECT id FROM api_token WHERE name = 'ci'"))[0].id;
    expect(await count("SELECT count(*) AS n FROM api_token WHERE name = 'ci'")).toBe(1);
    expect((await post(`/console/tokens/${id}/revoke`, { _csrf: admin.csrf }, admin)).headers.location).toBe('/console/tokens?done=token-revoked');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });

  it('creates an account (sign-in link shown once and emailed), changes roles, disables; never locks out the last admin', async () => {
    const sent: EmailMessage[] = [];
    let delivered: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      delivered = resolve;
    });
    const original = t.app.notifications.email;
    t.app.notifications.email = {
      send: async (message) => {
        sent.push(message);
        delivered();
        return { ok: true };
      },
      sendCopy(layout, recipient) {
        return this.send(fillLayout(layout, recipient));
      },
      close: async () => {},
    } satisfies EmailChannel;
    try {
      const page = await get('/console/users', admin);
      const bad = await post('/console/users', { _csrf: admin.csrf, email: 'nope', role: 'responder' }, admin);
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toMatch(/id="user-email-error">must be an email address/);
      const created = await post(
        '/console/users',
        { _csrf: admin.csrf, form_id: formIdOf(page.body), email: 'new@example.com', name: 'New', role: 'responder' },
        admin,
      );
      expect(created.statusCode).toBe(201);
      const link = unescape(/readonly value="(https:\/\/status\.acme\.example\/console\/sign-in\/[A-Za-z0-9_-]+)"/.exec(created.body)?.[1] ?? '');
      expect(link).toBeTruthy();
      await arrived;
      expect(sent[0].to).toBe('new@example.com');
      expect(sent[0].text).toContain(link);
      const duplicate = await post('/console/users', { _csrf: admin.csrf, email: 'NEW@example.com', role: 'viewer' }, admin);
      expect(duplicate.statusCode).toBe(409);
      expect(duplicate.body).toMatch(/id="user-email-error">an account for NEW@example.com already exists/);
    } finally {
      t.app.notifications.email = original;
    }
    const newId = (await t.db.query<{ id: string }>("SELECT id FROM responder_user WHERE email = 'new@example.com'"))[0].id;
    expect((await post(`/console/users/${newId}/role`, { _csrf: admin.csrf, role: 'boss' }, admin)).statusCode).toBe(400);
    expect((await post(`/console/users/${newId}/role`, { _csrf: admin.csrf, role: 'viewer' }, admin)).headers.location).toBe(
      '/console/users?done=role-changed',
    );
    expect((await t.db.query<{ role: string }>('SELECT role FROM responder_user WHERE id = $1', [newId]))[0].role).toBe('viewer');

    const adminId = (await t.db.query<{ id: string }>("SELECT id FROM responder_user WHERE email = 'admin@example.com'"))[0].id;
    const self = await post(`/console/users/${adminId}/role`, { _csrf: admin.csrf, role: 'viewer' }, admin);
    expect(self.statusCode).toBe(409);
    expect(self.body).toMatch(new RegExp(`id="role-${adminId}-error">You cannot change your own role`));
    expect((await post(`/console/users/${adminId}/disable`, { _csrf: admin.csrf }, admin)).statusCode).toBe(409);
    await expect(changeUserRole(t.app.serviceContext(labelledOperator('test')), adminId, { role: 'responder' })).rejects.toThrow('this is the only admin');

    // Promoted at once: the responder's next request is an admin's; disabled at once: its session ends.
    const respId = (await t.db.query<{ id: string }>("SELECT id FROM responder_user WHERE email = 'resp@example.com'"))[0].id;
    await post(`/console/users/${respId}/role`, { _csrf: admin.csrf, role: 'admin' }, admin);
    expect((await get('/console/users', responder)).statusCode).toBe(200);
    await post(`/console/users/${respId}/role`, { _csrf: admin.csrf, role: 'responder' }, admin);
    const viewerId = (await t.db.query<{ id: string }>("SELECT id FROM responder_user WHERE email = 'view@example.com'"))[0].id;
    const temp = await client.signIn('view@example.com');
    expect((await post(`/console/users/${viewerId}/disable`, { _csrf: admin.csrf }, admin)).headers.location).toBe('/console/users?done=user-disabled');
    expect((await get('/console', temp)).statusCode).toBe(303);
    expect((await get('/console/users', admin)).body).toMatch(/view@example\.com[\s\S]*?Disabled <time/);
  });

  it('filters the audit log by who and by action prefix, newest first, in keyset pages', async () => {
    for (let i = 0; i < 60; i++)
      await t.db.query("INSERT INTO audit_log (at, actor, action, target_type, target_id) VALUES ($1, 'token:bulk', 'template.updated', 'template', $2)", [
        t.clock.now(),
        `t${i}`,
      ]);
    const byAction = await get('/console/audit?action=token.', admin);
    expect(byAction.statusCode).toBe(200);
    const actions = [...byAction.body.matchAll(/<td><code>([^<]+)<\/code>/g)].map((m) => m[1]);
    expect(actions).toEqual(['token.revoked', 'token.created']);
    const byActor = await get('/console/audit?actor=resp%40example.com&action=heartbeat_notice.', admin);
    expect([...byActor.body.matchAll(/<td><code>([^<]+)<\/code>/g)].map((m) => m[1])).toEqual(['heartbeat_notice.converted', 'heartbeat_notice.dismissed']);
    // A LIKE wildcard is taken literally.
    expect((await get('/console/audit?action=%25', admin)).body).toContain('Nothing matches this filter.');
    const first = await get('/console/audit?actor=token%3Abulk', admin);
    expect(first.body.match(/<td class="wrap-anywhere">token:bulk<\/td>/g)).toHaveLength(50);
    const older = unescape(/href="([^"]+)" rel="next">Older entries/.exec(first.body)?.[1] ?? '');
    expect(older).toMatch(/^\/console\/audit\?actor=token%3Abulk&before=\d+$/);
    const second = await get(older, admin);
    expect(second.body.match(/<td class="wrap-anywhere">token:bulk<\/td>/g)).toHaveLength(10);
    expect(second.body).not.toContain('Older entries');
    expect((await get('/console/audit?before=abc', admin)).statusCode).toBe(400);
  });

  it('renders every console page within budget (printed; the bench measures it on the benchmark data set)', async () => {
    const incident = (await t.db.query<{ id: string }>("SELECT id FROM incident WHERE name = 'Reach test'"))[0].id;
    const timings: string[] = [];
    for (const url of [
      '/console',
      '/console/signal',
      `/console/incidents/${incident}`,
      `/console/incidents/${incident}/progress.json`,
      '/console/deliveries/dead',
      '/console/subscribers',
      '/console/subscribers?search=example',
      '/console/components',
      '/console/tokens',
      '/console/users',
      '/console/audit',
    ]) {
      await get(url, admin);
      const response = await get(url, admin);
      expect(response.statusCode, url).toBe(200);
      timings.push(`${url} ${response.headers['server-timing']}`);
    }
    console.info(`console page server times (${t.database.kind}):\n  ${timings.join('\n  ')}`);
  });
});

describe('a web-only process emails sign-in links itself', () => {
  it('has an email channel in the web role and sends the link through SMTP', async () => {
    const smtp = await startSmtpServer();
    const web = await startTestApp({ env: { LIFELINE_ROLES: 'web', SMTP_URL: smtp.url, MAIL_FROM: 'Acme Status <status@acme.example>' } });
    try {
      expect(web.app.notifications.email).not.toBeNull();
      expect(web.app.notifications.webhook).toBeNull(); // nothing else of the worker is started
      await createUser(web.app.serviceContext(labelledOperator('test')), { email: 'web-only@example.com', role: 'viewer' });
      const response = await web.app.inject({
        method: 'POST',
        url: '/console/sign-in/link',
        payload: 'email=web-only%40example.com',
        headers: FORM,
        remoteAddress: '192.0.2.7',
      });
      expect(response.statusCode).toBe(200);
      const [message] = await smtp.waitFor(1);
      expect(message.envelope.rcptTo).toEqual(['web-only@example.com']);
      expect(message.parsed.text).toMatch(/https:\/\/status\.acme\.example\/console\/sign-in\/[A-Za-z0-9_-]{20,}/);
    } finally {
      await web.close();
      await smtp.close();
    }
  });
});
