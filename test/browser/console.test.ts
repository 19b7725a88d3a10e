/**
 * The responder console in a real Chromium against the real app (PostgreSQL when DATABASE_URL is
 * set, else PGlite): sign in, declare from a template, see it on the public page and in
 * summary.json, update, resolve; cross-site posts and viewers are refused; axe-core audits.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplate } from '../../src/services/templates/create-template.ts';
import type { TestApp } from '../helpers/app.ts';
import { auditWithAxe, browserTestSetup, saveScreenshot, startConsoleInBrowser, type ConsoleInBrowser } from '../helpers/browser.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

const { skip, titleSuffix } = browserTestSetup('console');

const PASSWORD = 'a long on-call passphrase';
const TITLE = 'Messages delayed in the US and Europe';

describe.skipIf(skip)(`console in Chromium${titleSuffix}`, () => {
  let ui: ConsoleInBrowser;
  let t: TestApp;
  let base: string;
  let responder: Page;
  let incidentUrl: string;

  beforeAll(async () => {
    ui = await startConsoleInBrowser({
      accounts: [
        ['oncall@acme.example', 'responder', 'On-call'],
        ['watcher@acme.example', 'viewer', null],
      ],
      password: PASSWORD,
      prepare: async (t) => {
        await createTemplate(t.app.serviceContext(labelledOperator('test')), {
          name: 'Messaging outage',
          title: TITLE,
          status: 'investigating',
          body: 'We are investigating **delayed messages**.',
          components: { 'us-messaging': 'partial_outage', 'eu-messaging': 'major_outage' },
        });
      },
    });
    ({ t, base } = ui);
  });

  afterAll(() => ui?.close());

  /** Signs in from /console, checking first that a signed-out visit there is sent to the sign-in form. */
  async function signIn(page: Page, email: string) {
    const response = await page.goto(`${base}/console`);
    expect(page.url()).toBe(`${base}/console/sign-in?next=%2Fconsole`);
    expect(response?.status()).toBe(200);
    await ui.submitSignIn(page, email);
  }

  const summary = async () =>
    (await fetch(`${base}/api/v2/summary.json`)).json() as Promise<{
      incidents: { id: string; name: string; status: string }[];
      components: { id: string; status: string }[];
    }>;

  it('signs a responder in with a password; the cookie is HttpOnly and scoped to /console', async () => {
    responder = await ui.newPage();
    await responder.goto(`${base}/console/sign-in`);
    await saveScreenshot(responder, 'console-sign-in');
    await signIn(responder, 'oncall@acme.example');
    expect(await responder.getByRole('heading', { level: 1 }).innerText()).toBe('Dashboard');
    const [cookie] = await responder.context().cookies(`${base}/console`);
    expect(cookie).toMatchObject({ name: 'lifeline_session', path: '/console', httpOnly: true, sameSite: 'Lax', secure: false });
    expect(await responder.evaluate(() => document.cookie)).toBe(''); // not readable by script
  });

  it('declares an incident from a template with two components, with a live preview', async () => {
    await responder.goto(`${base}/console/templates`);
    await Promise.all([
      responder.waitForURL(/\/console\/incidents\/new\?template=/),
      responder.getByRole('link', { name: 'Declare from this template Messaging outage' }).click(),
    ]);
    expect(await responder.getByLabel('Title').inputValue()).toBe(TITLE);
    const us = await t.componentId('us-messaging');
    const eu = await t.componentId('eu-messaging');
    expect(await responder.locator(`#c-${us}`).inputValue()).toBe('partial_outage');
    expect(await responder.locator(`#c-${eu}`).inputValue()).toBe('major_outage');

    // The preview follows the text (debounced fetch): the same Markdown renderer as the page and email.
    await responder
      .getByLabel('Update for customers')
      .fill('We are investigating **delayed messages** in both regions.\n\n- US: up to 5 minutes\n- EU: up to 20 minutes');
    const preview = responder.locator('#live-preview');
    await preview.locator('li', { hasText: 'EU: up to 20 minutes' }).first().waitFor();
    expect(await preview.locator('strong', { hasText: 'delayed messages' }).count()).toBe(2); // page card and email
    expect(await preview.innerText()).toContain(`Subject: [Acme Chat] Investigating: ${TITLE}`);
    expect(await preview.innerText()).toContain('Messaging (Europe) — Major outage');
    await saveScreenshot(responder, 'console-declare');

    await Promise.all([
      responder.waitForURL(/\/console\/incidents\/[a-z0-9]+\?done=published$/),
      responder.getByRole('button', { name: 'Publish incident' }).click(),
    ]);
    incidentUrl = responder.url().replace(/\?.*$/, '');
    expect(await responder.getByRole('status').innerText()).toContain('Published');
    expect(await responder.getByRole('heading', { level: 1 }).innerText()).toBe(TITLE);
    await saveScreenshot(responder, 'console-incident');
  });

  it('shows the incident on the public page and in summary.json', async () => {
    await t.settle();
    const id = incidentUrl.split('/').at(-1) as string;
    const visitor = await ui.newPage();
    await visitor.goto(`${base}/`);
    const active = visitor.getByRole('region', { name: 'Active incidents' });
    const text = await active.innerText();
    expect(text).toContain(TITLE);
    expect(text).toContain('Affected: Messaging (United States) — Partial outage; Messaging (Europe) — Major outage');
    const doc = await summary();
    expect(doc.incidents.map((i) => [i.id, i.status])).toEqual([[id, 'investigating']]);
    const status = (key: string) => t.componentId(key).then((cid) => doc.components.find((c) => c.id === cid)?.status);
    expect([await status('us-messaging'), await status('eu-messaging')]).toEqual(['partial_outage', 'major_outage']);
  });

  it('posts an update, then resolves the incident', async () => {
    await responder.goto(incidentUrl);
    await responder.getByLabel('Status').selectOption('monitoring');
    await responder.getByLabel('Update for customers').fill('A fix is deployed; we are watching the queues.');
    await Promise.all([responder.waitForURL(/\?done=updated$/), responder.getByRole('button', { name: 'Post update' }).click()]);
    const timeline = responder.getByRole('region', { name: 'Timeline' });
    expect(await timeline.locator('.label').allInnerTexts()).toEqual(['Monitoring', 'Investigating']);

    await responder.getByLabel('Closing update').fill('Messages are delivered on time again.');
    await Promise.all([responder.waitForURL(/\?done=resolved$/), responder.getByRole('button', { name: 'Resolve incident' }).click()]);
    expect(await timeline.locator('.label').allInnerTexts()).toEqual(['Resolved', 'Monitoring', 'Investigating']);
    expect(await responder.getByRole('button', { name: 'Resolve incident' }).count()).toBe(0);
    await t.settle();
    const doc = await summary();
    expect(doc.incidents).toEqual([]);
    const eu = await t.componentId('eu-messaging');
    expect(doc.components.find((c) => c.id === eu)?.status).toBe('operational');
    expect(ui.dialogs).toEqual([]);
  });

  it('refuses a cross-site form post, even with the session cookie', async () => {
    const before = (await t.db.query("SELECT id FROM incident WHERE kind = 'incident'")).length;
    // A page on another site that auto-submits a form to the console in the responder's browser.
    await responder.route('http://attacker.example/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><form method="post" action="${base}/console/incidents"><input name="name" value="Forged"><input name="body" value="Forged"></form><script>document.forms[0].submit()</script>`,
      }),
    );
    const [response] = await Promise.all([
      responder.waitForResponse((r) => r.url() === `${base}/console/incidents` && r.request().method() === 'POST'),
      responder.goto('http://attacker.example/'),
    ]);
    expect(response.status()).toBe(403);
    expect((await t.db.query("SELECT id FROM incident WHERE kind = 'incident'")).length).toBe(before);
  });

  it('lets a viewer read but not publish', async () => {
    const viewer = await ui.newPage();
    await signIn(viewer, 'watcher@acme.example');
    expect(await viewer.getByRole('link', { name: 'Declare an incident' }).count()).toBe(0);
    await viewer.goto(incidentUrl);
    expect(await viewer.getByRole('heading', { level: 1 }).innerText()).toBe(TITLE);
    expect(await viewer.getByRole('button', { name: 'Post update' }).count()).toBe(0);
    expect(await viewer.locator('main').innerText()).toContain('read-only access');
    expect((await viewer.goto(`${base}/console/incidents/new`))?.status()).toBe(403);
    // Even a hand-made POST with the viewer's own valid CSRF token is refused.
    await viewer.goto(incidentUrl);
    const status = await viewer.evaluate(async (url) => {
      const csrf = (document.querySelector('input[name="_csrf"]') as HTMLInputElement).value;
      const response = await fetch(`${url}/updates`, { method: 'POST', body: new URLSearchParams({ _csrf: csrf, status: 'investigating', body: 'viewer' }) });
      return response.status;
    }, incidentUrl);
    expect(status).toBe(403);
    await saveScreenshot(viewer, 'console-viewer');
  });

  it('fits a phone without sideways scrolling', async () => {
    const phone = await ui.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await signIn(phone, 'oncall@acme.example');
    for (const path of ['/console', '/console/incidents/new', incidentUrl.slice(base.length)]) {
      await phone.goto(`${base}${path}`);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(390);
    }
    await phone.goto(`${base}/console/incidents/new`);
    await saveScreenshot(phone, 'console-mobile-declare');
  });

  it('has no serious or critical axe violations on the console pages, in light and dark', async () => {
    // axe is injected as a script, which the console's Content-Security-Policy would block: bypass it for the audit only.
    const page = await ui.newPage({ bypassCSP: true });
    const templateId = (await t.db.query<{ id: string }>('SELECT id FROM incident_template LIMIT 1'))[0].id;
    const failures: string[] = [];
    const audit = async (name: string) => {
      failures.push(...(await auditWithAxe(page, name)));
    };
    await page.goto(`${base}/console/sign-in`);
    await audit('sign-in');
    await signIn(page, 'oncall@acme.example');
    for (const [path, name] of [
      ['/console', 'dashboard'],
      [`/console/incidents/new?template=${templateId}`, 'declare'],
      [incidentUrl.slice(base.length), 'incident'],
      ['/console/templates', 'templates'],
      [`/console/templates/${templateId}`, 'template'],
      ['/console/maintenances/new', 'maintenance'],
      ['/console/account', 'account'],
    ]) {
      const response = await page.goto(`${base}${path}`);
      expect(response?.status(), path).toBe(200);
      await audit(name);
      if (name === 'dashboard') {
        await page.emulateMedia({ colorScheme: 'dark' });
        await saveScreenshot(page, 'console-dashboard-dark');
        await page.emulateMedia({ colorScheme: 'light' });
        await saveScreenshot(page, 'console-dashboard');
      }
    }
    expect(failures, `axe found serious or critical violations:\n\n${failures.join('\n\n')}\n`).toEqual([]);
  }, 120_000); // one test audits many pages in two schemes
});
