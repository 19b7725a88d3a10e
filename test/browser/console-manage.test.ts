/**
 * Console slice 2 in a real Chromium against the real app (PostgreSQL when DATABASE_URL is set,
 * else PGlite): the signal page with its chart and a dismissed automatic notice, an incident page
 * whose delivery progress follows the pipeline live, replaying a failed delivery, subscribers (search,
 * CSV import from a file), API tokens (shown once, revoked), the phone menu, and axe-core audits.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import { declareIncident } from '../../src/services/incidents/declare-incident.ts';
import { evaluateHeartbeats } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { registerWebhook } from '../../src/services/subscribers/register-webhook.ts';
import { TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { auditWithAxe, browserTestSetup, saveScreenshot, startConsoleInBrowser, type ConsoleInBrowser } from '../helpers/browser.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

const { skip, titleSuffix } = browserTestSetup('console-manage');

const PASSWORD = 'a long on-call passphrase';
const DEFINITION = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [
    { key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['eu'] },
    { key: 'logins', label: 'Logins', bucket_seconds: 10, regions: ['eu'], public: false },
  ],
});

describe.skipIf(skip)(`console slice 2 in Chromium${titleSuffix}`, () => {
  let ui: ConsoleInBrowser;
  let t: TestApp;
  let base: string;
  let responder: Page;
  let admin: Page;
  let incidentPath: string;

  beforeAll(async () => {
    ui = await startConsoleInBrowser({
      definition: DEFINITION,
      accounts: [
        ['oncall@acme.example', 'responder'],
        ['boss@acme.example', 'admin'],
      ],
      password: PASSWORD,
      // Seeded before the app listens, so the first page already shows the open notice.
      prepare: async (t, base) => {
        // Three hours of steady pushes, then messages-created stops (logins keeps coming): the detector opens a notice.
        await t.db.query(
          `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at)
           SELECT m, 'eu', b, 1000, b FROM generate_series($1::timestamptz - interval '3 hours', $1::timestamptz - interval '10 seconds', interval '10 seconds') AS b,
             unnest(ARRAY['messages-created', 'logins']) AS m`,
          [t.clock.now()],
        );
        for (let i = 0; i < 40; i++) {
          t.clock.advance(5_000);
          await t.db.query(
            "INSERT INTO heartbeat_point (metric, region, bucket, value, received_at) VALUES ('logins', 'eu', $1, 1000, $1) ON CONFLICT DO NOTHING",
            [new Date(Math.floor(t.clock.now().getTime() / 10_000) * 10_000 - 10_000)],
          );
          const { transitions } = await evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), DEFINITION.heartbeats ?? [], {
            timeZone: 'UTC',
            maintenance: [],
            publicUrl: base,
          });
          if (transitions.some((x) => x.startsWith('fired:'))) break;
        }
        expect((await t.db.query("SELECT id FROM incident WHERE source = 'heartbeat' AND resolved_at IS NULL")).length).toBe(1);
      },
    });
    ({ t, base } = ui);
  });

  afterAll(() => ui?.close());

  it('shows the signal with the chart and the automatic notice, and dismisses it as a false alarm', async () => {
    responder = await ui.newPage();
    await ui.signIn(responder, 'oncall@acme.example');
    // The dashboard's signal panel names the series and offers the decision.
    const panel = responder.getByRole('region', { name: 'Signal' });
    expect(await panel.innerText()).toContain('Messages created in EU');
    expect(await panel.getByRole('button', { name: /Dismiss as false alarm/ }).count()).toBe(1);

    await responder.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Signal' }).click();
    await responder.waitForURL(`${base}/console/signal`);
    // Each series is drawn in a wide and a phone layout, one of them shown: two series, two visible charts.
    expect(await responder.locator('svg.hb-chart:visible').count()).toBe(2);
    expect(await responder.locator('svg.hb-chart').count()).toBe(4);
    const chart = responder.getByRole('img', { name: 'Messages created in EU, last 24 hours' });
    expect(await chart.count()).toBe(1);
    expect(await responder.getByRole('heading', { name: 'Logins in EU internal' }).count()).toBe(1);
    const notices = responder.getByRole('region', { name: 'Automatic notices' });
    expect(await notices.getByRole('link', { name: /Take over as incident/ }).count()).toBe(1);
    await saveScreenshot(responder, 'console-signal');

    await notices.getByLabel('Why is it a false alarm?').fill('Planned load test in eu-west-1');
    await Promise.all([responder.waitForURL(`${base}/console/signal?done=dismissed`), notices.getByRole('button', { name: /Dismiss as false alarm/ }).click()]);
    expect(await responder.getByRole('status').innerText()).toContain('Dismissed as a false alarm');
    expect(await responder.getByRole('region', { name: 'Automatic notices' }).innerText()).toContain('No automatic notice is open');
    const [row] = await t.db.query<{ status: string }>("SELECT status FROM incident WHERE source = 'heartbeat'");
    expect(row.status).toBe('resolved');
  });

  it("follows an update's delivery progress live, then replays the failed delivery", async () => {
    const incident = await declareIncident(t.app.serviceContext(labelledOperator('user:oncall@acme.example')), {
      name: 'Messages delayed in Europe',
      status: 'investigating',
      body: 'We are looking into it.',
    });
    incidentPath = `/console/incidents/${incident.id}`;
    const [event] = await t.db.query<{ id: string }>("SELECT id FROM outbox_event WHERE payload->>'incident_id' = $1", [incident.id]);
    // What the dispatcher and the workers write (this app is the web role only): three recipients.
    await t.db.query(
      `INSERT INTO subscriber (id, type, email, all_components, source, confirmed_at, created_at, updated_at)
       SELECT 'live' || n, 'email', 'reader' || n || '@example.org', true, 'api', $1, $1, $1 FROM generate_series(1, 3) AS n`,
      [t.clock.now()],
    );
    await t.db.query(
      `INSERT INTO delivery (event_id, subscriber_id, channel, state, attempts, next_attempt_at, created_at, last_error)
       VALUES ($1, 'live1', 'email', 'sent', 1, $2, $2, NULL), ($1, 'live2', 'email', 'pending', 1, $2, $2, 'SMTP 451 try later'), ($1, 'live3', 'email', 'dead', 7, $2, $2, 'SMTP 550 mailbox unavailable')`,
      [event.id, t.clock.now()],
    );
    await t.db.query('UPDATE outbox_event SET dispatched_at = $2 WHERE id = $1', [event.id, t.clock.now()]);

    await responder.goto(`${base}${incidentPath}`);
    const progress = responder.locator('[data-progress]').first();
    expect(await progress.innerText()).toContain('Sending: 1 to go.');
    expect(await progress.locator('tbody tr').first().innerText()).toMatch(/Email\s+3\s+1\s+1\s+1/);
    await saveScreenshot(responder, 'console-incident-progress');

    // The pending one is sent: the page's script picks it up without a reload.
    await t.db.query("UPDATE delivery SET state = 'sent', sent_at = $2 WHERE event_id = $1 AND state = 'pending'", [event.id, t.clock.now()]);
    await progress.getByText('Done, 1 failed.').waitFor({ timeout: 15_000 });
    expect(await progress.locator('tbody tr').first().innerText()).toMatch(/Email\s+3\s+2\s+1\s+0/);
    expect(await responder.locator('[data-progress-live]').textContent()).toBe('Every notice of this incident has been handled.');

    await Promise.all([
      responder.waitForURL(/\/console\/deliveries\/dead\?event=\d+$/),
      progress.getByRole('link', { name: 'See the failures and replay them' }).click(),
    ]);
    expect(await responder.locator('main').innerText()).toContain('SMTP 550 mailbox unavailable');
    await saveScreenshot(responder, 'console-failed-deliveries');
    await Promise.all([
      responder.waitForURL(/done=deliveries-replayed$/),
      responder.getByRole('button', { name: 'Replay the delivery to reader3@example.org' }).click(),
    ]);
    expect(await responder.getByRole('status').innerText()).toContain('Replayed');
    expect((await t.db.query<{ state: string }>("SELECT state FROM delivery WHERE subscriber_id = 'live3'"))[0].state).toBe('pending');
  });

  it('searches subscribers and imports a CSV file', async () => {
    await responder.goto(`${base}/console/subscribers/import`);
    // The file picker is the script's: it puts the file's text in the box, checked before importing.
    await responder.getByLabel('CSV file').setInputFiles({
      name: 'list.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('email,components\nana@example.com,eu-messaging\nben@example.org,\nnot an address,\n'),
    });
    await responder.waitForFunction(() => (document.getElementById('csv') as HTMLTextAreaElement).value.includes('ben@example.org'));
    await responder.getByLabel(/already agreed/).check();
    const [imported] = await Promise.all([
      responder.waitForResponse((r) => r.url() === `${base}/console/subscribers/import` && r.request().method() === 'POST'),
      responder.getByRole('button', { name: 'Import' }).click(),
    ]);
    expect(imported.status()).toBe(200);
    const result = await responder.getByRole('status').innerText();
    expect(result).toContain('Import done: 2 added, 0 already subscribed, 1 not imported.');
    expect(result).toMatch(/4\s+email: must be an email address/);

    await responder.goto(`${base}/console/subscribers`);
    await responder.getByLabel('Address or URL contains').fill('ana@');
    await Promise.all([responder.waitForURL(/search=ana%40/), responder.getByRole('button', { name: 'Search' }).click()]);
    const rows = responder.locator('table.subscribers tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain('ana@example.com');
    await registerWebhook(
      t.app.serviceContext(labelledOperator('test')),
      { type: 'webhook', url: 'https://hooks.example.com/status', email: 'ops@example.com' },
      async () => ({ ok: true }),
      () => 'whsec_dGVzdA==',
    );
    await responder.goto(`${base}/console/subscribers`);
    await responder.getByText('New secret for https://hooks.example.com/status…').click();
    await saveScreenshot(responder, 'console-subscribers');
  });

  it('creates an API token shown once, and revokes it (admin)', async () => {
    admin = await ui.newPage();
    await ui.signIn(admin, 'boss@acme.example');
    await admin.getByRole('link', { name: 'API tokens' }).first().click();
    await admin.waitForURL(`${base}/console/tokens`);
    await admin.getByLabel('Name').fill('product-heartbeats');
    await admin.getByRole('checkbox', { name: /heartbeats:write/ }).check();
    await Promise.all([
      admin.waitForResponse((r) => r.url() === `${base}/console/tokens` && r.request().method() === 'POST'),
      admin.getByRole('button', { name: 'Create token' }).click(),
    ]);
    expect(await admin.getByRole('heading', { level: 1 }).innerText()).toBe('Token “product-heartbeats” created');
    const token = await admin.getByLabel('API token').inputValue();
    expect(token).toMatch(/^lfl_/);
    expect(await admin.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    await saveScreenshot(admin, 'console-token-created');
    const read = await fetch(`${base}/api/v1/incidents`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(200); // any valid token may read

    await admin.getByRole('link', { name: 'Back to the tokens' }).click();
    await admin.waitForURL(`${base}/console/tokens`);
    expect(await admin.locator('main').innerText()).not.toContain(token);
    await saveScreenshot(admin, 'console-tokens');
    await admin.getByText('Revoke product-heartbeats…').click();
    await Promise.all([admin.waitForURL(/done=token-revoked$/), admin.getByRole('button', { name: 'Revoke token product-heartbeats' }).click()]);
    expect((await fetch(`${base}/api/v1/incidents`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect(ui.dialogs).toEqual([]);
  });

  it('works on a 375 px phone: no sideways scrolling, every page behind the Menu button', async () => {
    const phone = await ui.newPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
    await ui.signIn(phone, 'boss@acme.example');
    for (const path of [
      '/console',
      '/console/signal',
      incidentPath,
      '/console/deliveries/dead',
      '/console/subscribers',
      '/console/components',
      '/console/tokens',
      '/console/users',
      '/console/audit',
    ]) {
      await phone.goto(`${base}${path}`);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(375);
    }
    expect(await phone.getByRole('navigation', { name: 'Console', exact: true }).isVisible()).toBe(false);
    await phone.getByText('Menu', { exact: true }).click();
    await saveScreenshot(phone, 'console-mobile-menu');
    await Promise.all([
      phone.waitForURL(`${base}/console/subscribers`),
      phone.getByRole('navigation', { name: 'Console menu' }).getByRole('link', { name: 'Subscribers' }).click(),
    ]);
    await phone.goto(`${base}/console/signal`);
    await saveScreenshot(phone, 'console-mobile-signal');
  });

  it('has no serious or critical axe violations on the new console pages, in light and dark', async () => {
    // axe is injected as a script, which the console's Content-Security-Policy would block: bypass it for the audit only.
    const page = await ui.newPage({ bypassCSP: true });
    const failures: string[] = [];
    const audit = async (name: string) => {
      failures.push(...(await auditWithAxe(page, name)));
    };
    await ui.signIn(page, 'boss@acme.example');
    const notice = (await t.db.query<{ id: string }>("SELECT id FROM incident WHERE name LIKE 'Reduced activity%'"))[0].id;
    for (const [path, name] of [
      ['/console', 'dashboard'],
      ['/console/signal', 'signal'],
      [`/console/signal/notices/${notice}/convert`, 'take over'],
      [incidentPath, 'incident'],
      ['/console/deliveries/dead', 'failed deliveries'],
      ['/console/subscribers', 'subscribers'],
      ['/console/subscribers/import', 'import'],
      ['/console/components', 'components'],
      ['/console/tokens', 'tokens'],
      ['/console/users', 'accounts'],
      ['/console/audit', 'audit log'],
    ]) {
      const response = await page.goto(`${base}${path}`);
      expect(response?.status(), path).toBe(200);
      await audit(name);
      if (name === 'signal') {
        await page.emulateMedia({ colorScheme: 'dark' });
        await saveScreenshot(page, 'console-signal-dark');
        await page.emulateMedia({ colorScheme: 'light' });
      }
      if (name === 'audit log') await saveScreenshot(page, 'console-audit');
      if (name === 'components') await saveScreenshot(page, 'console-components');
    }
    // The open Menu on a phone and a page with a shown-once secret are audited too.
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${base}/console/users`);
    await page.getByText('Menu', { exact: true }).click();
    await audit('phone menu');
    expect(failures, `axe found serious or critical violations:\n\n${failures.join('\n\n')}\n`).toEqual([]);
  }, 120_000); // one test audits many pages in two schemes
});
