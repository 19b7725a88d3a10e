/**
 * The public status page in a real Chromium: what a visitor sees (light, dark, mobile, no JavaScript),
 * that responders' Markdown cannot inject markup, and axe-core's accessibility audit.
 */
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { auditWithAxe, browserTestSetup, closeChromium, launchChromium, openPage, saveScreenshot } from '../helpers/browser.ts';

const { skip, titleSuffix } = browserTestSetup('status-page');

const SCRIPT_TEXT = '<script>alert(1)</script>';
const INCIDENT = 'Messages delayed in the US and Europe';
const RESOLVED = 'Website slow to load';
const MAINTENANCE = 'Database upgrade';

describe.skipIf(skip)(`status page in Chromium${titleSuffix}`, () => {
  let t: TestApp;
  let launching: Promise<Browser> | undefined;
  let browser: Browser;
  /** The desktop light-scheme page most checks navigate. */
  let page: Page;
  const dialogs: string[] = [];
  let base: string;
  let incidentId: string;
  let resolvedId: string;
  /** [display_at ISO, status label], newest first: the order the timeline must show. */
  let expectedTimeline: [string, string][];

  beforeAll(async () => {
    launching = launchChromium(); // starts while the database is prepared
    // Start two days back, so the resolved incident is in "Past incidents" and time only moves forward.
    t = await startTestApp({ clock: new ManualClock('2026-03-08T08:00:00Z') });
    const token = await t.token('incidents:write', 'maintenances:write');
    const post = async (url: string, payload: object) => {
      const response = await t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload });
      expect(response.statusCode, response.body).toBe(201);
      return response.json<{ id: string }>();
    };

    // A resolved incident, two days ago.
    t.clock.set('2026-03-08T09:00:00Z');
    resolvedId = (await post('/api/v1/incidents', { name: RESOLVED, body: 'Pages load slowly.', components: { website: 'degraded_performance' } })).id;
    t.clock.set('2026-03-08T09:40:00Z');
    await post(`/api/v1/incidents/${resolvedId}/updates`, { status: 'resolved', body: 'Pages load normally again.' });

    // The active incident: investigating -> identified -> monitoring, on two components.
    t.clock.set('2026-03-10T11:00:00Z');
    incidentId = (
      await post('/api/v1/incidents', {
        name: INCIDENT,
        body: `We are investigating **delayed messages**.\n\nA responder pasted this: ${SCRIPT_TEXT}`,
        components: { 'us-messaging': 'partial_outage', 'eu-messaging': 'degraded_performance' },
      })
    ).id;
    t.clock.set('2026-03-10T11:15:00Z');
    await post(`/api/v1/incidents/${incidentId}/updates`, {
      status: 'identified',
      body: 'The cause is a **saturated queue**:\n\n- US: messages wait up to 5 minutes\n- Europe: up to 1 minute',
    });
    t.clock.set('2026-03-10T11:30:00Z');
    await post(`/api/v1/incidents/${incidentId}/updates`, {
      status: 'monitoring',
      body: 'A fix is deployed; we are [monitoring](https://www.acme.example/blog) the queues.',
    });
    expectedTimeline = [
      ['2026-03-10T11:30:00.000Z', 'Monitoring'],
      ['2026-03-10T11:15:00.000Z', 'Identified'],
      ['2026-03-10T11:00:00.000Z', 'Investigating'],
    ];

    // An upcoming maintenance.
    await post('/api/v1/maintenances', {
      name: MAINTENANCE,
      body: 'We will upgrade the **API database**. Requests may be slower.',
      scheduled_for: '2026-03-12T02:00:00Z',
      scheduled_until: '2026-03-12T04:00:00Z',
      components: ['us-api', 'eu-api'],
    });

    t.clock.set('2026-03-10T12:00:00Z');
    await t.settle();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launching;
    page = await open('/');
  });

  afterAll(async () => {
    await closeChromium(launching);
    await t?.close();
  });

  /** `path` in a fresh page; its dialogs are recorded, since one would mean responder text ran as script. */
  async function open(path: string, options: BrowserContextOptions = {}): Promise<Page> {
    const page = await openPage(browser, options, dialogs);
    await visit(page, path);
    return page;
  }

  async function visit(page: Page, path: string) {
    const response = await page.goto(`${base}${path}`);
    expect(response?.status(), path).toBe(200);
  }

  /** [datetime, status label] of each update of the incident card with this name, in page order. */
  async function timeline(scope: Page | Locator, incidentName: string) {
    const article = scope.getByRole('article', { name: incidentName });
    return article
      .locator('section.update')
      .evaluateAll((updates) => updates.map((u) => [u.querySelector('time')?.getAttribute('datetime'), u.querySelector('.label')?.textContent]));
  }

  it('spells out the roll-up, shows the active incident timeline newest first with times, and names the affected components', async () => {
    await visit(page, '/');
    // The roll-up in words, not only colour.
    expect(await page.locator('.banner').innerText()).toBe('Minor Service Outage');

    const active = page.getByRole('region', { name: 'Active incidents' });
    expect(await timeline(active, INCIDENT)).toEqual(expectedTimeline);
    expect(await active.locator('section.update time').allInnerTexts()).toEqual([
      'Mar 10, 2026, 11:30 UTC',
      'Mar 10, 2026, 11:15 UTC',
      'Mar 10, 2026, 11:00 UTC',
    ]);

    const incidentText = await active.innerText();
    expect(incidentText).toContain('This incident affects: Messaging (United States), Messaging (Europe)');
    expect(incidentText).toContain('Affected: Messaging (United States) — Partial outage; Messaging (Europe) — Degraded performance');
    // Markdown is rendered...
    expect(await active.locator('strong', { hasText: 'saturated queue' }).count()).toBe(1);
    expect(await active.locator('li').allInnerTexts()).toEqual(['US: messages wait up to 5 minutes', 'Europe: up to 1 minute']);
    expect(await active.getByRole('link', { name: 'monitoring' }).getAttribute('rel')).toBe('nofollow noopener');
    // ...but raw HTML is shown as text and never parsed: the page has no script element at all, and nothing ran.
    expect(incidentText).toContain(`A responder pasted this: ${SCRIPT_TEXT}`);
    expect(await page.locator('script').count()).toBe(0);
    expect(dialogs).toEqual([]);

    // Component statuses in words too.
    const components = page.getByRole('region', { name: 'Components' });
    const us = await components.getByRole('region', { name: 'United States' }).innerText();
    expect(us).toMatch(/Messaging\s+Partial outage/);
    expect(us).toMatch(/API\s+Operational/);
    expect(await components.getByRole('region', { name: 'Europe' }).innerText()).toMatch(/Messaging\s+Degraded performance/);
    await saveScreenshot(page, 'status-light');
  });

  it('draws 90 uptime day bars for every component', async () => {
    await visit(page, '/');
    const bars = page.getByRole('img', { name: /uptime over the last 90 days$/ });
    const counts = await bars.evaluateAll((elements) => elements.map((e) => [e.getAttribute('aria-label'), e.children.length]));
    expect(counts).toHaveLength(5);
    for (const [label, count] of counts) expect(count, String(label)).toBe(90);
  });

  it('lists the upcoming maintenance under scheduled maintenance and the resolved incident under past incidents', async () => {
    await visit(page, '/');
    const upcoming = page.getByRole('region', { name: 'Scheduled maintenance' });
    const text = await upcoming.innerText();
    expect(text).toContain(MAINTENANCE);
    expect(text).toContain('Scheduled for Mar 12, 2026, 02:00 UTC until Mar 12, 2026, 04:00 UTC');
    expect(text).toContain('This maintenance affects: API (United States), API (Europe)');
    expect(await upcoming.locator('strong', { hasText: 'API database' }).count()).toBe(1);
    expect(await page.getByRole('region', { name: 'Active incidents' }).innerText()).not.toContain(MAINTENANCE);

    const past = page.getByRole('region', { name: 'Past incidents' });
    expect(await timeline(past, RESOLVED)).toEqual([
      ['2026-03-08T09:40:00.000Z', 'Resolved'],
      ['2026-03-08T09:00:00.000Z', 'Investigating'],
    ]);
    expect(await past.getByRole('link', { name: RESOLVED }).getAttribute('href')).toBe(`/incidents/${resolvedId}`);
  });

  it('shows the timeline on the incident permalink', async () => {
    await visit(page, `/incidents/${incidentId}`);
    expect(await page.title()).toBe(`${INCIDENT} · Acme Chat`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(INCIDENT);
    expect(await timeline(page, INCIDENT)).toEqual(expectedTimeline);
    const text = await page.locator('main').innerText();
    expect(text).toContain('Minor impact · Monitoring · started Mar 10, 2026, 11:00 UTC');
    expect(text).toContain(`A responder pasted this: ${SCRIPT_TEXT}`);
    expect(await page.locator('script').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('lists both incidents in the history, each with its latest update', async () => {
    await visit(page, '/history');
    const march = page.getByRole('region', { name: 'March 2026' });
    expect(await march.getByRole('heading', { level: 3 }).allInnerTexts()).toEqual([INCIDENT, RESOLVED]);
    const resolved = await march.getByRole('article', { name: RESOLVED }).innerText();
    expect(resolved).toContain('Pages load normally again.');
    expect(resolved).toContain('Minor impact · Mar 8, 2026, 09:00 UTC – Mar 8, 2026, 09:40 UTC · Resolved');
  });

  it('works with JavaScript disabled', async () => {
    const noScript = await open('/', { javaScriptEnabled: false });
    expect(await noScript.locator('.banner').innerText()).toBe('Minor Service Outage');
    expect(await timeline(noScript, INCIDENT)).toEqual(expectedTimeline);
    // Outage details are a native <details>: they open without script.
    const details = noScript.locator('details').first();
    await details.locator('summary').click();
    expect(await details.getAttribute('open')).toBe('');
    await noScript.context().close();
  });

  it('fits a 390px wide phone without sideways scrolling', async () => {
    const mobile = await open('/', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    expect(await mobile.locator('.banner').innerText()).toBe('Minor Service Outage');
    expect(await mobile.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await saveScreenshot(mobile, 'status-mobile');
    await mobile.context().close();
  });

  it('has no serious or critical axe violations on /, /history and the incident page, in light and dark', async () => {
    // axe is injected as a script, which the page's Content-Security-Policy blocks: bypass it for the audit only.
    const page = await open('/', { bypassCSP: true });
    const failures: string[] = [];
    for (const [path, name] of [
      ['/', 'status'],
      ['/history', 'history'],
      [`/incidents/${incidentId}`, 'incident'],
    ]) {
      await visit(page, path);
      // A screenshot in each scheme, except status-light.png: the first check already took it.
      failures.push(
        ...(await auditWithAxe(page, path, async (colorScheme) => {
          if (name !== 'status' || colorScheme === 'dark') await saveScreenshot(page, `${name}-${colorScheme}`);
        })),
      );
    }
    expect(failures, `axe found serious or critical violations:\n\n${failures.join('\n\n')}\n`).toEqual([]);
  }, 120_000); // one test audits many pages in two schemes
});
