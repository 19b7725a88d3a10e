import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { validatePageDefinition } from '../../src/config.ts';
import type { IdSource } from '../../src/domain/ids.ts';
import { renderAlertEmail, type AlertPayload } from '../../src/presenters/alert.ts';
import { buildNotice, renderConfirmationEmail, renderNoticeEmail } from '../../src/presenters/notice.ts';
import { loadViews } from '../../src/plugins/views.ts';
import { createConsoleRenderer } from '../../src/routes/console/render.ts';
import { createApiToken } from '../../src/services/access/create-api-token.ts';
import { OPERATOR_GRANTOR } from '../../src/services/access/grantor.ts';
import { loadNoticeData } from '../../src/queries/load-notice-data.ts';
import { loadEvents } from '../../src/storage/delivery-repository.ts';
import { findPage } from '../../src/storage/page-repository.ts';
import { CONSOLE_PASSWORD, encodeForm } from '../helpers/console-client.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { TEST_DEFINITION, testConfig } from '../helpers/app.ts';
import { createUser } from '../../src/services/access/create-user.ts';
import { setPassword } from '../../src/services/access/set-password.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/**
 * Golden output: the HTML of the public pages and console, and the emails, rendered with a fixed
 * clock and fixed ids, byte for byte. A change to how views are loaded or rendered must leave
 * these files unchanged; a change to a template updates them on purpose (`vitest -u`).
 */

/** Ids and secrets from a counter, so every run produces the same ones. */
function countingIds(): IdSource {
  let next = 0;
  let byte = 0;
  return {
    id: () => `id${String(++next).padStart(10, '0')}`,
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => (byte++ * 37 + 11) % 256)),
  };
}

const definition = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [{ key: 'messages-created', label: 'Messages created', description: 'Messages customers sent', bucket_seconds: 10, regions: ['eu', 'us'] }],
});
const PUBLIC_URL = 'https://status.acme.example';
const golden = (name: string) => `./__golden__/${name}`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let app: FastifyInstance;
let database: TestDatabase;
let dataDir: string;
let incidentId: string;

beforeAll(async () => {
  database = await createTestDatabase('pglite');
  const clock = new ManualClock('2026-03-10T12:00:00Z');
  const made = testConfig({}, definition);
  dataDir = made.dataDir;
  app = await buildApp({
    config: made.config,
    db: database.db,
    clock,
    ids: countingIds(),
    random: () => 0.5,
    logger: process.env.TEST_LOG ? { level: 'error' } : false,
  });
  await app.ready();
  const { token } = await createApiToken(app.serviceContext(labelledOperator('test')), { name: 'golden', scopes: ['incidents:write'] }, OPERATOR_GRANTOR);
  const [website] = await database.db.query<{ id: string }>("SELECT id FROM component WHERE key = 'website'");
  clock.advance(60_000);
  const declared = await app.inject({
    method: 'POST',
    url: '/api/v1/incidents',
    headers: { authorization: `Bearer ${token}` },
    payload: { name: 'Messages <delayed> & "slow"', body: 'We are **looking** into it.\n\n- first\n- second', components: { [website.id]: 'major_outage' } },
  });
  expect(declared.statusCode, declared.body).toBe(201);
  incidentId = declared.json().id;
  clock.advance(60_000);
  // A second incident with no affected component: its impact is "none", labelled differently on the public page and in the console.
  const quiet = await app.inject({
    method: 'POST',
    url: '/api/v1/incidents',
    headers: { authorization: `Bearer ${token}` },
    payload: { name: 'Slow sign-in emails', body: 'Checking.' },
  });
  expect(quiet.statusCode, quiet.body).toBe(201);
  clock.advance(5 * 60_000);
  await app.snapshot.invalidate();
});
afterAll(async () => {
  await app?.close();
  await database?.dispose();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('public pages render byte-identical', () => {
  for (const [name, url] of [
    ['index', '/'],
    ['history', '/history'],
    ['heartbeat', '/heartbeat'],
    ['subscribe', '/subscribe'],
    ['not-found', '/no-such-page'],
  ] as const) {
    it(`${url}`, async () => {
      const response = await app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      await expect(response.body).toMatchFileSnapshot(golden(`page-${name}.html`));
    });
  }
  it('/incidents/:id', async () => {
    const response = await app.inject({ method: 'GET', url: `/incidents/${incidentId}` });
    expect(response.statusCode).toBe(200);
    await expect(response.body).toMatchFileSnapshot(golden('page-incident.html'));
  });
  it('/heartbeat/:metric/:region', async () => {
    const response = await app.inject({ method: 'GET', url: '/heartbeat/messages-created/eu' });
    await expect(response.body).toMatchFileSnapshot(golden('page-heartbeat-series.html'));
  });
});

describe('console pages render byte-identical', () => {
  let cookie: string;
  beforeAll(async () => {
    const created = await createUser(app.serviceContext(labelledOperator('test')), { email: 'ops@acme.example', role: 'admin' });
    await setPassword(app.serviceContext(labelledOperator('test')), created.user.id, { password: CONSOLE_PASSWORD, confirm: CONSOLE_PASSWORD });
    const response = await app.inject({
      method: 'POST',
      url: '/console/sign-in',
      payload: encodeForm({ email: 'ops@acme.example', password: CONSOLE_PASSWORD }),
      remoteAddress: '198.51.100.1',
      headers: FORM,
    });
    expect(response.statusCode, response.body).toBe(303);
    cookie = String(response.headers['set-cookie']).split(';')[0];
  });
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie }, remoteAddress: '198.51.100.1' });

  it('sign-in page', async () => {
    const response = await app.inject({ method: 'GET', url: '/console/sign-in' });
    await expect(response.body).toMatchFileSnapshot(golden('console-sign-in.html'));
  });
  for (const [name, url] of [
    ['dashboard', '/console'],
    ['signal', '/console/signal'],
    ['incident-new', '/console/incidents/new'],
  ] as const) {
    it(url, async () => {
      const response = await get(url);
      expect(response.statusCode, response.body).toBe(200);
      await expect(response.body).toMatchFileSnapshot(golden(`console-${name}.html`));
    });
  }
  it('/console/incidents/:id', async () => {
    const response = await get(`/console/incidents/${incidentId}`);
    expect(response.statusCode, response.body).toBe(200);
    await expect(response.body).toMatchFileSnapshot(golden('console-incident.html'));
  });
});

describe('emails render byte-identical', () => {
  const asFiles = async (name: string, email: { subject: string; html: string; text: string }) => {
    await expect(email.subject).toMatchFileSnapshot(golden(`email-${name}.subject.txt`));
    await expect(email.html).toMatchFileSnapshot(golden(`email-${name}.html`));
    await expect(email.text).toMatchFileSnapshot(golden(`email-${name}.txt`));
  };
  const views = loadViews();
  const links = { manageUrl: `${PUBLIC_URL}/manage/abc`, unsubscribeUrl: `${PUBLIC_URL}/unsubscribe/abc` };

  it('notice email (incident created)', async () => {
    const [row] = await database.db.query<{ id: string }>("SELECT id FROM outbox_event WHERE type = 'incident.created' ORDER BY id LIMIT 1");
    const event = (await loadEvents(database.db, [Number(row.id)])).get(Number(row.id));
    if (!event) throw new Error('no incident.created event');
    const data = await loadNoticeData(database.db, event, PUBLIC_URL);
    await asFiles('notice', renderNoticeEmail(views, buildNotice(views, data), data, links));
  });
  it('confirmation email', async () => {
    await asFiles(
      'confirm',
      renderConfirmationEmail(views, {
        pageName: 'Acme <Chat>',
        publicUrl: PUBLIC_URL,
        confirmUrl: `${PUBLIC_URL}/confirm/abc`,
        manageUrl: links.manageUrl,
        alreadyConfirmed: false,
      }),
    );
  });
  it('alert email', async () => {
    const page = await findPage(database.db);
    if (!page) throw new Error('no page');
    const payload: AlertPayload = {
      metric: 'messages-created',
      region: 'us',
      label: 'Messages created',
      tier: 'major',
      no_data: false,
      since: '2026-03-10T11:50:00Z',
      observed: 1234,
      expected: 6000,
      window_seconds: 300,
      incident_id: incidentId,
      reopened: false,
      chart_url: `${PUBLIC_URL}/heartbeat/messages-created/us`,
    };
    await asFiles('alert', renderAlertEmail(views, 'heartbeat.fired', payload, page, PUBLIC_URL));
  });
  it('sign-in email', async () => {
    const email = createConsoleRenderer(views).signInEmail({
      pageName: 'Acme <Chat>',
      publicUrl: PUBLIC_URL,
      url: `${PUBLIC_URL}/console/sign-in/tok`,
      email: 'ops@acme.example',
      minutes: 15,
    });
    await asFiles('sign-in', email);
  });
});

describe('templates are read once, at start', () => {
  const sources = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
    });
  // The environment count itself is a ceiling in test/architecture.test.ts.
  it('only the view loader uses Handlebars, and presenters read no files', () => {
    const importing = (pattern: RegExp, files: string[]) => files.filter((file) => pattern.test(readFileSync(file, 'utf8')));
    expect(importing(/from 'handlebars'/, sources('src'))).toEqual([join('src', 'plugins', 'views.ts')]);
    expect(importing(/from 'node:fs'/, sources(join('src', 'presenters')))).toEqual([]);
  });
});
