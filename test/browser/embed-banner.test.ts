/**
 * The banner script (/embed/banner.js) inside a product's own page, in Chromium (issue 13, "Done
 * when"): the host page comes from another origin (a second loopback server) with the strict CSP
 * the README tells product teams they may keep. The page's clock is Playwright's, paused, so a
 * refresh happens when the test runs the clock on by data-refresh-seconds, never by waiting.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { auditWithAxe, browserTestSetup, closeChromium, launchChromium, openPage, saveScreenshot } from '../helpers/browser.ts';
import { freePort } from '../helpers/lifeline-process.ts';

const { skip, titleSuffix } = browserTestSetup('embed-banner');

const NOW = new Date('2026-03-10T12:00:00Z');
const REFRESH_MS = 5_000;
const LISTED = 'Messages delayed in Europe';
const UNLISTED = 'US API down <img src=x onerror=alert(1)>';

describe.skipIf(skip)(`embed banner on a strict host page in Chromium${titleSuffix}`, () => {
  let t: TestApp;
  let launching: Promise<Browser> | undefined;
  let browser: Browser;
  let base: string;
  let host: Server;
  let hostBase: string;
  let token: string;
  let stopped = false;
  /** Every answer Lifeline gave to /embed/status.json, by status code (the fast path answers it, so the raw server is watched). */
  const feedAnswers: number[] = [];
  /** Uncaught errors, CSP messages and dialogs of every page the test opened. */
  const pageErrors: string[] = [];
  const cspMessages: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    launching = launchChromium();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp({ env: { LIFELINE_PUBLIC_URL: base } });
    token = await t.token('admin');
    await t.app.listen({ port, host: '127.0.0.1' });
    t.app.server.on('request', (request, response) => {
      if (request.url === '/embed/status.json') response.on('finish', () => feedAnswers.push(response.statusCode));
    });
    host = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://host');
      if (url.pathname === '/host.js') return send(response, 'text/javascript', HOST_SCRIPT);
      if (url.pathname === '/host.css') return send(response, 'text/css', HOST_CSS);
      if (url.pathname === '/favicon.ico') return send(response, 'image/x-icon', '');
      if (url.pathname !== '/app') return send(response, 'text/plain', 'not found', 404);
      const src = url.searchParams.get('src') ?? base;
      const attributes = url.searchParams.get('attributes') ?? 'data-components="eu-messaging,eu-api" data-refresh-seconds="5"';
      const html =
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme app</title>' +
        '<link rel="stylesheet" href="/host.css"><script src="/host.js"></script></head>' +
        '<body><main><h1>Your inbox</h1><p>Three new messages.</p></main>' +
        `<script src="${src}/embed/banner.js" async ${attributes}></script></body></html>`;
      // The CSP the README gives product teams, with everything else shut (default-src 'none').
      const csp = `default-src 'none'; script-src 'self' ${src}; connect-src ${src}; style-src 'self'; img-src 'self'`;
      return send(response, 'text/html; charset=utf-8', html, 200, { 'content-security-policy': csp });
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostBase = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    browser = await launching;
  });

  afterAll(async () => {
    await closeChromium(launching);
    await new Promise((resolve) => host?.close(resolve));
    if (!stopped) await t?.close();
    else {
      await t.database.dispose();
      rmSync(t.dataDir, { recursive: true, force: true });
    }
  });

  /** The host page in a fresh context whose clock is paused at NOW; errors, CSP reports and dialogs are collected. */
  async function openHost(query = '', options: BrowserContextOptions = {}): Promise<Page> {
    const page = await openPage(browser, options, dialogs);
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspMessages.push(`${page.url()}: ${message.text()}`);
    });
    await page.clock.install({ time: new Date(NOW.getTime() - 60_000) });
    await page.clock.pauseAt(NOW);
    // The status host down, or the preview (which reads nothing): no feed answer to wait for.
    if (query.includes('src=') || query.includes('lifeline-banner-test')) {
      await page.goto(`${hostBase}/app${query}`);
      return page;
    }
    const loaded = page.waitForResponse((r) => r.url() === `${base}/embed/status.json`);
    await page.goto(`${hostBase}/app${query}`);
    await loaded;
    return page;
  }

  /** One refresh as the banner's own timer runs it: the paused clock moves on by data-refresh-seconds. */
  async function runOneRefresh(page: Page) {
    const answered = page.waitForResponse((r) => r.url() === `${base}/embed/status.json`);
    await page.clock.runFor(REFRESH_MS);
    await answered;
  }

  /** Waits for a refresh to finish rendering: the banner's refresh() resolves once it has. */
  const refreshed = (page: Page) => page.evaluate(() => (window as unknown as { lifelineBanner: { refresh(): Promise<void> } }).lifelineBanner.refresh());

  const bar = (page: Page) => page.locator('lifeline-banner [role="status"]');
  /** What the banner shows: '' when there is no banner or it is empty. */
  const shown = async (page: Page) => ((await page.locator('lifeline-banner').count()) === 0 ? '' : await bar(page).innerText());

  async function post(url: string, payload: object) {
    const response = await t.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode, response.body).toBeLessThan(300);
    await t.settle();
    return response.json() as { id: string };
  }

  let listedId: string;
  let page: Page;

  it('shows nothing while all is well', async () => {
    page = await openHost();
    await refreshed(page);
    expect(await page.locator('lifeline-banner').count()).toBe(0);
    await runOneRefresh(page);
    await refreshed(page);
    expect(await page.locator('lifeline-banner').count()).toBe(0);
    // An unchanged feed cost a 304: the browser revalidated with the ETag it held.
    expect(feedAnswers).toContain(304);
  });

  it('shows an incident on a listed component within one refresh, with a working link, and never one on another component', async () => {
    // Worse and newer than the listed one: if the filter failed, this is the one the bar would show.
    await post('/api/v1/incidents', { name: UNLISTED, body: 'Down.', impact: 'critical', components: { 'us-api': 'major_outage' } });
    await runOneRefresh(page);
    await refreshed(page);
    expect(await shown(page)).toBe('');

    t.clock.set('2026-03-10T11:58:00Z');
    listedId = (
      await post('/api/v1/incidents', {
        name: LISTED,
        body: 'Messages to Europe wait **up to 5 minutes**.\nMore soon.',
        components: { 'eu-messaging': 'partial_outage' },
      })
    ).id;
    t.clock.set(NOW);
    await runOneRefresh(page);
    await bar(page).getByRole('link', { name: LISTED }).waitFor();
    const text = await bar(page).innerText();
    expect(text).toContain('Partial outage');
    expect(text).toContain('Messages to Europe wait up to 5 minutes.');
    expect(text).not.toContain('More soon');
    expect(text).toContain('2 minutes ago');
    expect(text).not.toContain('US API');

    const link = bar(page).getByRole('link', { name: LISTED });
    expect(await link.getAttribute('href')).toBe(`${base}/incidents/${listedId}`);
    const [incidentPage] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await incidentPage.waitForLoadState();
    expect(incidentPage.url()).toBe(`${base}/incidents/${listedId}`);
    expect(await incidentPage.locator('h1').innerText()).toContain(LISTED);
    await incidentPage.close();
    await saveScreenshot(page, 'embed-banner');
  });

  it('is reachable by keyboard: the link, then the Dismiss button', async () => {
    // A click on the heading puts the focus back at the page's start (the link was clicked before).
    await page.locator('h1').click();
    const focused = () => page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.textContent ?? null);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe(LISTED);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Dismiss');
  });

  it("keeps its styles to itself and takes none of the host page's", async () => {
    const color = await bar(page)
      .getByRole('link', { name: LISTED })
      .evaluate((a) => getComputedStyle(a).color);
    expect(color).not.toBe('rgb(0, 128, 0)');
    expect(await bar(page).getByRole('button', { name: 'Dismiss' }).isVisible()).toBe(true);
    // The host page's own styles still apply to its own elements.
    expect(await page.locator('h1').evaluate((h) => getComputedStyle(h).color)).toBe('rgb(0, 128, 0)');
  });

  it('stays dismissed across a reload until the next update brings it back', async () => {
    await bar(page).getByRole('button', { name: 'Dismiss' }).click();
    expect(await shown(page)).toBe('');
    await page.reload();
    await refreshed(page);
    expect(await shown(page)).toBe('');

    await post(`/api/v1/incidents/${listedId}/updates`, { status: 'identified', body: 'A queue is saturated.' });
    await runOneRefresh(page);
    await bar(page).getByText('A queue is saturated.').waitFor();
    expect(await shown(page)).toContain(LISTED);
  });

  it('offers a preview: ?lifeline-banner-test and window.lifelineBanner.test()', async () => {
    const preview = await openHost('?lifeline-banner-test');
    expect(await shown(preview)).toContain('Example incident (banner test)');
    await bar(preview).getByRole('button', { name: 'Dismiss' }).click();
    expect(await shown(preview)).toBe('');
    await preview.evaluate(() => (window as unknown as { lifelineBanner: { test(): void } }).lifelineBanner.test());
    expect(await shown(preview)).toContain('Example incident (banner test)');
    await preview.context().close();
  });

  it('has no serious accessibility violation (axe, light and dark)', async () => {
    // axe is injected as a script, which the host CSP rightly refuses: this one page bypasses it.
    const audited = await openHost('', { bypassCSP: true });
    await bar(audited).getByRole('link', { name: LISTED }).waitFor();
    // axe schedules its own work on timers: let the page's time flow again.
    await audited.clock.resume();
    expect(await auditWithAxe(audited, 'host page with the banner')).toEqual([]);
    await audited.context().close();
  });

  it('causes no CSP violation on the strict host page (which does report one when there is one)', async () => {
    const control = await openHost('?control');
    const reported = await control.evaluate(() => (window as unknown as { violations: string[] }).violations);
    expect(reported.join('\n')).toMatch(/style-src/);
    await control.context().close();

    const violations = await page.evaluate(() => (window as unknown as { violations: string[] }).violations);
    expect(violations).toEqual([]);
    expect(cspMessages.filter((m) => !m.includes('?control'))).toEqual([]);
  });

  it('shows nothing and throws nothing when Lifeline is stopped', async () => {
    expect(await shown(page)).toContain(LISTED);
    stopped = true;
    await t.app.close();
    await page.clock.runFor(REFRESH_MS);
    await refreshed(page);
    expect(await shown(page)).toBe('');

    // A host page loaded while the status host is down: the script never arrives, and nothing shows.
    const down = await openHost(`?src=${encodeURIComponent(`http://127.0.0.1:${await freePort()}`)}`);
    await down.waitForLoadState('load');
    expect(await down.locator('lifeline-banner').count()).toBe(0);
    await page.reload();
    await page.waitForLoadState('load');
    expect(await shown(page)).toBe('');
    expect(pageErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});

function send(response: import('node:http').ServerResponse, type: string, body: string, status = 200, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  response.end(body);
}

/** The host page's own script: records CSP violations; with ?control, commits one (an inline style) to show it would. */
const HOST_SCRIPT = `
window.violations = [];
document.addEventListener('securitypolicyviolation', (event) => window.violations.push(event.violatedDirective + ' ' + event.blockedURI), true);
if (location.search.includes('control')) document.addEventListener('DOMContentLoaded', () => document.querySelector('main').setAttribute('style', 'color: red'));
`;

/** Host styles that would leak into a banner that did not isolate itself. */
const HOST_CSS = `
body { color: rgb(0, 128, 0); font: 30px serif; }
a, button, div, span, strong { color: rgb(0, 128, 0) !important; display: none !important; }
h1 { color: rgb(0, 128, 0); }
`;
