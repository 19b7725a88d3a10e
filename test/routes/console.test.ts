import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillLayout, type EmailChannel, type EmailMessage } from '../../src/channels/channel.ts';
import { createUser } from '../../src/services/access/create-user.ts';
import { setPassword } from '../../src/services/access/set-password.ts';
import type { UserRole } from '../../src/domain/roles.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/** The responder console through app.inject, on PostgreSQL when DATABASE_URL is set, else PGlite. */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const PASSWORD = 'correct horse battery staple';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
let ipCounter = 0;
/** Each test signs in from its own address, so the per-IP failure limit of one test does not leak into another. */
const nextIp = () => `198.51.100.${++ipCounter}`;

async function account(email: string, role: UserRole, password: string | null = PASSWORD) {
  const created = await createUser(t.app.serviceContext(labelledOperator('test')), { email, role });
  if (password) await setPassword(t.app.serviceContext(labelledOperator('test')), created.user.id, { password, confirm: password });
  return created;
}

interface Session {
  cookie: string;
  csrf: string;
  ip: string;
}

function encode(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
  return params.toString();
}

function post(url: string, fields: Record<string, string | string[]>, options: { session?: Session; headers?: Record<string, string>; ip?: string } = {}) {
  return t.app.inject({
    method: 'POST',
    url,
    payload: encode(fields),
    remoteAddress: options.ip ?? options.session?.ip ?? '203.0.113.1',
    headers: { ...FORM, ...(options.session ? { cookie: options.session.cookie } : {}), ...options.headers },
  });
}

function get(url: string, session?: Session) {
  return t.app.inject({ method: 'GET', url, headers: session ? { cookie: session.cookie } : {}, remoteAddress: session?.ip ?? '203.0.113.1' });
}

function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token in the page');
  return match[1];
}

async function signIn(email: string, password = PASSWORD): Promise<Session> {
  const ip = nextIp();
  const response = await post('/console/sign-in', { email, password }, { ip });
  expect(response.statusCode, response.body).toBe(303);
  const cookie = String(response.headers['set-cookie']).split(';')[0];
  const dashboard = await get('/console', { cookie, csrf: '', ip });
  expect(dashboard.statusCode).toBe(200);
  return { cookie, csrf: csrfOf(dashboard.body), ip };
}

const formIdOf = (html: string) => (/name="form_id" value="([^"]+)"/.exec(html) as RegExpExecArray)[1];

describe('signing in', () => {
  it('sends a visitor without a session to the sign-in page', async () => {
    const response = await get('/console/incidents/new');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/console/sign-in?next=%2Fconsole%2Fincidents%2Fnew');
    const page = await get('/console/sign-in');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Email me a sign-in link');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('signs in with a password and sets a HttpOnly, SameSite=Lax, Secure cookie scoped to /console', async () => {
    await account('ana@example.com', 'admin');
    const response = await post('/console/sign-in', { email: 'ANA@example.com', password: PASSWORD, next: '/console/templates' }, { ip: nextIp() });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/console/templates');
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^lifeline_session=[A-Za-z0-9_-]{43}; Path=\/console; Max-Age=604800; HttpOnly; SameSite=Lax; Secure$/);
    const dashboard = await get('/console', { cookie: cookie.split(';')[0], csrf: '', ip: '203.0.113.9' });
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain('Signed in as ana@example.com');
  });

  it('never follows a next= that leaves the console', async () => {
    await account('next@example.com', 'viewer');
    for (const next of ['https://evil.example/', '//evil.example/console', '/console/../admin', '/consolex']) {
      const response = await post('/console/sign-in', { email: 'next@example.com', password: PASSWORD, next }, { ip: nextIp() });
      expect(response.headers.location, next).toBe('/console');
    }
  });

  it('answers the same for an unknown address as for a wrong password, and names empty fields', async () => {
    await account('known@example.com', 'responder');
    const ip = nextIp();
    const wrong = await post('/console/sign-in', { email: 'known@example.com', password: 'not the password' }, { ip });
    const unknown = await post('/console/sign-in', { email: 'nobody@example.com', password: 'not the password' }, { ip });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (body: string) => body.replace(/known@example\.com|nobody@example\.com/g, 'EMAIL').replace(/nonce-[^']+'|nonce="[^"]+"/g, 'NONCE');
    expect(strip(wrong.body)).toBe(strip(unknown.body));
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const noPassword = await post('/console/sign-in', { email: 'known@example.com', password: '' }, { ip });
    expect(noPassword.statusCode).toBe(400);
    expect(noPassword.body).toMatch(/id="password-error">Enter your password/);
    const noEmail = await post('/console/sign-in', { email: '', password: 'x' }, { ip });
    expect(noEmail.statusCode).toBe(400);
    expect(noEmail.body).toMatch(/id="email-error">Enter your email address/);
  });

  it('limits failed sign-ins per address (5 per 15 minutes, even with the right password next) and per IP, with 429', async () => {
    await account('target@example.com', 'responder');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await post('/console/sign-in', { email: 'target@example.com', password: `guess ${i}` }, { ip: nextIp() })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const blocked = await post('/console/sign-in', { email: 'target@example.com', password: PASSWORD }, { ip: nextIp() });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.body).toContain('Too many failed sign-ins');
    // An unknown address is limited exactly the same way: a 429 does not reveal that an account exists.
    for (let i = 0; i < 5; i++) await post('/console/sign-in', { email: 'ghost@example.com', password: `guess ${i}` }, { ip: nextIp() });
    expect((await post('/console/sign-in', { email: 'ghost@example.com', password: 'x' }, { ip: nextIp() })).statusCode).toBe(429);

    t.clock.advance(15 * 60_000 + 1);
    expect((await post('/console/sign-in', { email: 'target@example.com', password: PASSWORD }, { ip: nextIp() })).statusCode).toBe(303);

    const ip = nextIp();
    const fromOneIp: number[] = [];
    for (let i = 0; i < 21; i++) fromOneIp.push((await post('/console/sign-in', { email: `spray${i}@example.com`, password: 'guess' }, { ip })).statusCode);
    expect(fromOneIp.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(fromOneIp[20]).toBe(429);
  });

  it('emails a one-time link to a known address only, with the same answer for an unknown one', async () => {
    await account('linky@example.com', 'responder', null);
    const sent: EmailMessage[] = [];
    let delivered: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      delivered = resolve;
    });
    const fake: EmailChannel = {
      send: async (message) => {
        sent.push(message);
        delivered();
        return { ok: true };
      },
      sendCopy(layout, recipient) {
        return this.send(fillLayout(layout, recipient));
      },
      close: async () => {},
    };
    const original = t.app.notifications.email;
    t.app.notifications.email = fake;
    try {
      const ip = nextIp();
      const unknown = await post('/console/sign-in/link', { email: 'stranger@example.com' }, { ip });
      const known = await post('/console/sign-in/link', { email: 'linky@example.com' }, { ip });
      expect(unknown.statusCode).toBe(200);
      expect(known.statusCode).toBe(200);
      const strip = (body: string) => body.replace(/linky@example\.com|stranger@example\.com/g, 'EMAIL').replace(/nonce-[^']+'|nonce="[^"]+"/g, 'NONCE');
      expect(strip(known.body)).toBe(strip(unknown.body));
      await arrived;
      expect(sent).toHaveLength(1);
      expect(sent[0].to).toBe('linky@example.com');
      const url = /https:\/\/status\.acme\.example(\/console\/sign-in\/[A-Za-z0-9_-]+)/.exec(sent[0].text)?.[1] as string;
      expect(url).toBeTruthy();
      expect(sent[0].html).toContain(url);

      const bad = await post('/console/sign-in/link', { email: 'not an address' }, { ip });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toMatch(/id="link-email-error"/);

      // The link: a GET shows a button and does not use it (mail scanners), the POST signs in once.
      expect((await get(url)).body).toContain('Sign in as linky@example.com?');
      expect((await get(url)).statusCode).toBe(200);
      const redeemed = await post(url, {}, { ip });
      expect(redeemed.statusCode).toBe(303);
      expect(redeemed.headers.location).toBe('/console/account?done=welcome');
      expect(String(redeemed.headers['set-cookie'])).toContain('lifeline_session=');
      expect((await post(url, {}, { ip })).statusCode).toBe(404);
      expect((await get(url)).statusCode).toBe(404);

      // Straight after a link sign-in the user chooses a password without an old one.
      const cookie = String(redeemed.headers['set-cookie']).split(';')[0];
      const session = { cookie, csrf: '', ip };
      const accountPage = await get('/console/account', session);
      expect(accountPage.body).toContain('Choose a password');
      session.csrf = csrfOf(accountPage.body);
      const short = await post('/console/account/password', { _csrf: session.csrf, password: 'short', confirm: 'short' }, { session });
      expect(short.statusCode).toBe(400);
      expect(short.body).toMatch(/id="password-error">must be at least 12 characters/);
      const saved = await post(
        '/console/account/password',
        { _csrf: session.csrf, password: 'a brand new passphrase', confirm: 'a brand new passphrase' },
        { session },
      );
      expect(saved.statusCode).toBe(303);
      expect((await post('/console/sign-in', { email: 'linky@example.com', password: 'a brand new passphrase' }, { ip: nextIp() })).statusCode).toBe(303);
    } finally {
      t.app.notifications.email = original;
    }
  });

  it('ends sessions after 12 idle hours, on sign-out and when revoked from the account page', async () => {
    await account('sessions@example.com', 'viewer');
    const idle = await signIn('sessions@example.com');
    t.clock.advance(12 * 3600_000 + 1000);
    expect((await get('/console', idle)).statusCode).toBe(303);

    const a = await signIn('sessions@example.com');
    const b = await signIn('sessions@example.com');
    const page = await get('/console/account', a);
    const ids = [...page.body.matchAll(/\/console\/account\/sessions\/([0-9a-f]{64})\/revoke/g)].map((m) => m[1]);
    expect(ids).toHaveLength(2);
    const other = ids.find(
      (id) => !page.body.includes(`${id}/revoke"><input type="hidden" name="_csrf" value="${a.csrf}"><button type="submit" class="secondary">Sign out<`),
    ) as string;
    expect((await post(`/console/account/sessions/${other}/revoke`, { _csrf: a.csrf }, { session: a })).statusCode).toBe(303);
    expect((await get('/console', b)).statusCode).toBe(303);
    expect((await get('/console', a)).statusCode).toBe(200);

    const out = await post('/console/sign-out', { _csrf: a.csrf }, { session: a });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await get('/console', a)).statusCode).toBe(303);
  });
});

describe('publishing from the console', () => {
  let responder: Session;
  let viewer: Session;
  beforeAll(async () => {
    await account('resp@example.com', 'responder');
    await account('view@example.com', 'viewer');
    responder = await signIn('resp@example.com');
    viewer = await signIn('view@example.com');
  });

  const incidentCount = async () => Number((await t.db.query<{ n: string }>("SELECT count(*) AS n FROM incident WHERE kind = 'incident'"))[0].n);

  it('refuses a state-changing post without the CSRF token, or from another site, with 403', async () => {
    const before = await incidentCount();
    const fields = { name: 'CSRF probe', body: 'x', status: 'investigating' };
    const noToken = await post('/console/incidents', fields, { session: responder });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.headers['content-type']).toContain('text/html');
    expect(noToken.body).toContain('this form has expired or did not come from this console');
    const wrongToken = await post('/console/incidents', { ...fields, _csrf: viewer.csrf }, { session: responder });
    expect(wrongToken.statusCode).toBe(403);
    const crossSite = await post(
      '/console/incidents',
      { ...fields, _csrf: responder.csrf },
      { session: responder, headers: { 'sec-fetch-site': 'cross-site' } },
    );
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.body).toContain('cross-site form posts are not accepted');
    const foreignOrigin = await post(
      '/console/incidents',
      { ...fields, _csrf: responder.csrf },
      { session: responder, headers: { origin: 'https://evil.example' } },
    );
    expect(foreignOrigin.statusCode).toBe(403);
    // Cross-site sign-in (login CSRF) is refused too.
    expect(
      (await post('/console/sign-in', { email: 'resp@example.com', password: PASSWORD }, { headers: { 'sec-fetch-site': 'cross-site' } })).statusCode,
    ).toBe(403);
    expect(await incidentCount()).toBe(before);
  });

  it('lets a viewer see everything but publish nothing (controls hidden, POSTs 403)', async () => {
    const declared = await post(
      '/console/incidents',
      { _csrf: responder.csrf, name: 'Viewer can read', status: 'investigating', body: 'Looking', 'component:x': '' },
      { session: responder },
    );
    expect(declared.statusCode).toBe(303);
    const url = declared.headers.location as string;
    const id = /\/console\/incidents\/([a-z0-9]+)/.exec(url)?.[1] as string;

    const page = await get(`/console/incidents/${id}`, viewer);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Viewer can read');
    expect(page.body).not.toContain('Post update');
    expect(page.body).not.toContain('Resolve incident');
    const dashboard = await get('/console', viewer);
    expect(dashboard.body).not.toContain('Declare an incident');
    expect((await get('/console/incidents/new', viewer)).statusCode).toBe(403);
    const refused = await post(`/console/incidents/${id}/updates`, { _csrf: viewer.csrf, status: 'resolved', body: 'Viewer tries' }, { session: viewer });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('your role (viewer) cannot do this');
    expect((await post('/console/incidents', { _csrf: viewer.csrf, name: 'No', body: 'No' }, { session: viewer })).statusCode).toBe(403);
    expect((await post('/console/templates', { _csrf: viewer.csrf, name: 'No', title: 'No', body: 'No' }, { session: viewer })).statusCode).toBe(403);
    const rows = await t.db.query<{ status: string }>('SELECT status FROM incident WHERE id = $1', [id]);
    expect(rows[0].status).toBe('investigating');
  });

  it('declares an incident from a template with two components; it shows in summary.json, then is updated and resolved', async () => {
    const [eu, us] = [await t.componentId('eu-messaging'), await t.componentId('us-messaging')];
    const saved = await post(
      '/console/templates',
      {
        _csrf: responder.csrf,
        name: 'Messaging outage',
        title: 'Messages delayed',
        status: 'identified',
        impact: '',
        body: 'We are seeing **delays** in messaging.',
        [`component:${eu}`]: 'major_outage',
        [`component:${us}`]: 'partial_outage',
        'component:website': '',
      },
      { session: responder },
    );
    expect(saved.statusCode, saved.body).toBe(303);
    const templateId = (await t.db.query<{ id: string }>("SELECT id FROM incident_template WHERE name = 'Messaging outage'"))[0].id;

    const form = await get(`/console/incidents/new?template=${templateId}`, responder);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="Messages delayed"');
    expect(form.body).toMatch(new RegExp(`name="component:${eu}"[^>]*>[\\s\\S]*?<option value="major_outage" selected>`));
    expect(form.body).toMatch(new RegExp(`name="component:${us}"[^>]*>[\\s\\S]*?<option value="partial_outage" selected>`));

    const fields = {
      _csrf: responder.csrf,
      form_id: formIdOf(form.body),
      template: templateId,
      intent: 'publish',
      name: 'Messages delayed',
      status: 'identified',
      impact: '',
      body: 'We are seeing **delays** in messaging.',
      [`component:${eu}`]: 'major_outage',
      [`component:${us}`]: 'partial_outage',
      notify: 'on',
    };
    const declared = await post('/console/incidents', fields, { session: responder });
    expect(declared.statusCode, declared.body).toBe(303);
    const id = /\/console\/incidents\/([a-z0-9]+)\?done=published/.exec(declared.headers.location as string)?.[1] as string;
    expect(id).toBeTruthy();
    // A double click sends the same form again: the incident is not declared twice.
    const again = await post('/console/incidents', fields, { session: responder });
    expect(again.headers.location).toBe(`/console/incidents/${id}?done=replayed`);
    expect((await t.db.query("SELECT id FROM incident WHERE name = 'Messages delayed'")).length).toBe(1);

    await t.settle();
    const summary = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json();
    const incident = summary.incidents.find((i: { id: string }) => i.id === id);
    expect(incident).toMatchObject({ name: 'Messages delayed', status: 'identified', impact: 'major' });
    const statusOf = (cid: string) => summary.components.find((c: { id: string }) => c.id === cid).status;
    expect([statusOf(eu), statusOf(us)]).toEqual(['major_outage', 'partial_outage']);
    const audit = await t.db.query<{ actor: string }>("SELECT actor FROM audit_log WHERE action = 'incident.created' AND target_id = $1", [id]);
    expect(audit[0].actor).toBe('user:resp@example.com');

    const page = await get(declared.headers.location as string, responder);
    expect(page.body).toContain('Published. The status page and summary.json show it now.');
    const update = await post(
      `/console/incidents/${id}/updates`,
      {
        _csrf: responder.csrf,
        form_id: formIdOf(page.body),
        intent: 'publish',
        status: 'monitoring',
        body: 'A fix is out.',
        [`component:${eu}`]: 'degraded_performance',
        notify: 'on',
        postmortem_url: '',
      },
      { session: responder },
    );
    expect(update.statusCode, update.body).toBe(303);
    const resolved = await post(
      `/console/incidents/${id}/updates`,
      { _csrf: responder.csrf, status: 'resolved', body: 'All good.', notify: 'on' },
      { session: responder },
    );
    expect(resolved.headers.location).toBe(`/console/incidents/${id}?done=resolved`);
    await t.settle();
    const after = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json();
    expect(after.incidents.find((i: { id: string }) => i.id === id)).toBeUndefined();
    expect(after.components.find((c: { id: string }) => c.id === eu).status).toBe('operational');
    const timeline = await get(`/console/incidents/${id}`, viewer);
    expect(timeline.body).toMatch(/Resolved[\s\S]*Monitoring[\s\S]*Identified/);

    const postmortem = await post(
      `/console/incidents/${id}/updates`,
      { _csrf: responder.csrf, status: 'postmortem', body: 'Write-up.', postmortem_url: 'https://blog.acme.example/pm' },
      { session: responder },
    );
    expect(postmortem.statusCode).toBe(303);
    expect((await t.db.query<{ postmortem_url: string }>('SELECT postmortem_url FROM incident WHERE id = $1', [id]))[0].postmortem_url).toBe(
      'https://blog.acme.example/pm',
    );
    const reopen = await post(`/console/incidents/${id}/updates`, { _csrf: responder.csrf, status: 'investigating', body: 'Back?' }, { session: responder });
    expect(reopen.statusCode).toBe(409);
    expect(reopen.body).toMatch(/id="status-error">a postmortem incident cannot move to investigating/);
  });

  it('renames an incident in place: the page and summary.json show the new name, no update is posted, the audit log keeps both', async () => {
    const declared = await post(
      '/console/incidents',
      { _csrf: responder.csrf, name: 'Mesages delayed', status: 'investigating', body: 'Looking', 'component:x': '' },
      { session: responder },
    );
    const id = /\/console\/incidents\/([a-z0-9]+)/.exec(declared.headers.location as string)?.[1] as string;
    const page = await get(`/console/incidents/${id}`, responder);
    expect(page.body).toContain(`action="/console/incidents/${id}/name"`);
    const updatesBefore = await t.db.query('SELECT id FROM incident_update WHERE incident_id = $1', [id]);

    const nul = await post(`/console/incidents/${id}/name`, { _csrf: responder.csrf, name: 'Bad\u0000name' }, { session: responder });
    expect(nul.statusCode).toBe(400);
    expect(nul.body).toContain('NUL byte');
    const empty = await post(`/console/incidents/${id}/name`, { _csrf: responder.csrf, name: '   ' }, { session: responder });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('aria-invalid="true"');
    expect(empty.body).toContain('<details class="card" open>');
    expect((await post(`/console/incidents/${id}/name`, { _csrf: viewer.csrf, name: 'Viewer rename' }, { session: viewer })).statusCode).toBe(403);
    expect((await post(`/console/incidents/${id}/name`, { name: 'No token' }, { session: responder })).statusCode).toBe(403);
    expect((await post('/console/incidents/nosuchincident/name', { _csrf: responder.csrf, name: 'Ghost' }, { session: responder })).statusCode).toBe(404);

    const renamed = await post(
      `/console/incidents/${id}/name`,
      { _csrf: responder.csrf, form_id: formIdOf(page.body.slice(page.body.indexOf('/name"'))), name: 'Messages <b>delayed</b>' },
      { session: responder },
    );
    expect(renamed.statusCode, renamed.body).toBe(303);
    expect(renamed.headers.location).toBe(`/console/incidents/${id}?done=renamed`);
    const after = await get(renamed.headers.location as string, responder);
    expect(after.body).toContain('<h1>Messages &lt;b&gt;delayed&lt;/b&gt;');
    expect(after.body).toContain('nobody was notified');
    await t.settle();
    const summary = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json();
    expect(summary.incidents.find((i: { id: string }) => i.id === id)?.name).toBe('Messages <b>delayed</b>');
    expect(await t.db.query('SELECT id FROM incident_update WHERE incident_id = $1', [id])).toEqual(updatesBefore);
    const audit = await t.db.query<{ actor: string; details: { from: string; to: string } }>(
      "SELECT actor, details FROM audit_log WHERE action = 'incident.renamed' AND target_id = $1",
      [id],
    );
    expect(audit).toEqual([{ actor: 'user:resp@example.com', details: { from: 'Mesages delayed', to: 'Messages <b>delayed</b>' } }]);
  });

  it('re-renders the form with the error next to the field for bad input, never a 500', async () => {
    const euApi = await t.componentId('eu-api');
    const empty = await post('/console/incidents', { _csrf: responder.csrf, name: '  ', body: 'x', status: 'investigating' }, { session: responder });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toMatch(/id="name-error">must not be empty/);
    const badStatus = await post('/console/incidents', { _csrf: responder.csrf, name: 'n', body: 'x', status: 'on_fire' }, { session: responder });
    expect(badStatus.statusCode).toBe(400);
    expect(badStatus.body).toMatch(/id="status-error">must be one of/);
    const badComponent = await post(
      '/console/incidents',
      { _csrf: responder.csrf, name: 'n', body: 'x', [`component:${euApi}`]: 'exploded' },
      { session: responder },
    );
    expect(badComponent.statusCode).toBe(400);
    expect(badComponent.body).toMatch(new RegExp(`id="c-${euApi}-error"[^>]*>must be one of`));
    expect(badComponent.body).toContain('value="n"'); // what was typed is kept
    const unknownComponent = await post(
      '/console/incidents',
      { _csrf: responder.csrf, name: 'n', body: 'x', 'component:nope': 'major_outage' },
      { session: responder },
    );
    expect(unknownComponent.statusCode).toBe(400);
    expect(unknownComponent.body).toMatch(/class="error" id="components-error">no such component/);
    const badMaintenance = await post(
      '/console/maintenances',
      { _csrf: responder.csrf, name: 'DB', body: 'x', from: '2026-03-12T02:00', until: '2026-03-12T01:00' },
      { session: responder },
    );
    expect(badMaintenance.statusCode).toBe(400);
    expect(badMaintenance.body).toMatch(/id="until-error">must be after scheduled_for/);
    const badTemplate = await post('/console/templates', { _csrf: responder.csrf, name: '', title: 't', body: 'b' }, { session: responder });
    expect(badTemplate.statusCode).toBe(400);
    expect(badTemplate.body).toMatch(/id="name-error">must not be empty/);
    const huge = await post('/console/incidents', { _csrf: responder.csrf, name: 'n', body: 'x'.repeat(30_001) }, { session: responder });
    expect(huge.statusCode).toBe(400);
    expect(huge.headers['content-type']).toContain('text/html');
    expect(huge.body).toMatch(/body: must be at most 30000 characters/);
    const missing = await get('/console/incidents/doesnotexist', responder);
    expect(missing.statusCode).toBe(404);
    const noTemplate = await get('/console/incidents/new?template=doesnotexist', responder);
    expect(noTemplate.statusCode).toBe(404);
    expect(noTemplate.body).toContain('That template does not exist');
  });

  it('previews Markdown with the page and email renderer, raw HTML shown as text, with and without script', async () => {
    const eu = await t.componentId('eu-messaging');
    const fragment = await post(
      '/console/preview',
      {
        _csrf: responder.csrf,
        name: 'Preview me',
        status: 'identified',
        body: 'We **found** it. <script>alert(1)</script>',
        [`component:${eu}`]: 'major_outage',
      },
      { session: responder },
    );
    expect(fragment.statusCode).toBe(200);
    expect(fragment.body).toContain('<strong>found</strong>');
    expect(fragment.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(fragment.body).not.toContain('<script>alert');
    expect(fragment.body).toContain('Subject: [Acme Chat] Identified: Preview me');
    expect(fragment.body).toMatch(/Messaging \(Europe\)/);
    expect((await post('/console/preview', { body: 'x' }, { session: responder })).statusCode).toBe(403); // CSRF applies

    const noScript = await post(
      '/console/incidents',
      { _csrf: responder.csrf, intent: 'preview', name: 'Draft', status: 'investigating', body: '- one\n- two' },
      { session: responder },
    );
    expect(noScript.statusCode).toBe(200);
    expect(noScript.body).toContain('<li>one</li>');
    expect(noScript.body).toContain('value="Draft"');
    expect((await t.db.query("SELECT id FROM incident WHERE name = 'Draft'")).length).toBe(0);
  });

  it('schedules maintenance that starts and completes by itself; the dashboard lists it', async () => {
    const page = await get('/console/maintenances/new', responder);
    const scheduled = await post(
      '/console/maintenances',
      {
        _csrf: responder.csrf,
        form_id: formIdOf(page.body),
        name: 'DB upgrade',
        body: 'Read-only for an hour.',
        from: '2026-04-01T10:00',
        until: '2026-04-01T11:00',
        components: [await t.componentId('eu-api'), await t.componentId('us-api')],
        auto_start: 'on',
        auto_complete: 'on',
        notify: 'on',
      },
      { session: responder },
    );
    expect(scheduled.statusCode, scheduled.body).toBe(303);
    const rows = await t.db.query<{ id: string; scheduled_for: Date; auto_start: boolean; auto_complete: boolean }>(
      "SELECT id, scheduled_for, auto_start, auto_complete FROM incident WHERE name = 'DB upgrade'",
    );
    expect(rows).toHaveLength(1);
    expect(new Date(rows[0].scheduled_for).toISOString()).toBe('2026-04-01T10:00:00.000Z');
    expect([rows[0].auto_start, rows[0].auto_complete]).toEqual([true, true]);
    const dashboard = await get('/console', viewer);
    expect(dashboard.body).toContain('DB upgrade');
    expect(dashboard.body).toContain('starts automatically, completes automatically');
    expect(dashboard.body).not.toContain('Start now'); // viewer
    expect((await get('/console', responder)).body).toContain('Start now');
    await t.settle();
    const upcoming = (await t.app.inject({ method: 'GET', url: '/api/v2/scheduled-maintenances/upcoming.json' })).json();
    expect(upcoming.scheduled_maintenances.map((m: { name: string }) => m.name)).toContain('DB upgrade');
  });

  it('marks automatic notices on the dashboard, and renders every console page fast', async () => {
    await t.db.query("UPDATE incident SET source = 'heartbeat' WHERE name = 'Viewer can read'");
    const dashboard = await get('/console', responder);
    expect(dashboard.body).toMatch(/Viewer can read<\/a> <span class="badge">Automatic notice<\/span>/);
    const id = (await t.db.query<{ id: string }>("SELECT id FROM incident WHERE name = 'Viewer can read'"))[0].id;
    const templateId = (await t.db.query<{ id: string }>('SELECT id FROM incident_template LIMIT 1'))[0].id;
    const pages = [
      '/console',
      '/console/incidents/new',
      `/console/incidents/new?template=${templateId}`,
      `/console/incidents/${id}`,
      '/console/templates',
      `/console/templates/${templateId}`,
      '/console/maintenances/new',
      '/console/account',
    ];
    const timings: string[] = [];
    for (const url of pages) {
      await get(url, responder); // warm
      const started = performance.now();
      const response = await get(url, responder);
      timings.push(`${url} ${(performance.now() - started).toFixed(1)} ms`);
      expect(response.statusCode, url).toBe(200);
    }
    console.info(`console page server times (${t.database.kind}):\n  ${timings.join('\n  ')}`);
  });
});
