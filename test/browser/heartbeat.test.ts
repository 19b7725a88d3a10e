/**
 * The heartbeat charts in a real Chromium: the server-rendered SVG shows the observed line and the
 * expected band, with and without JavaScript; the optional script offers the visitor's time zone;
 * the main page's sparkline images load; axe-core finds no serious or critical violation.
 */
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeatSeries, validatePageDefinition } from '../../src/config.ts';
import { evaluateHeartbeats } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { endEpisode, openEpisode } from '../../src/storage/heartbeat-episode-repository.ts';
import { rollUpHeartbeats } from '../../src/storage/heartbeat-repository.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { auditWithAxe, browserTestSetup, closeChromium, launchChromium, openPage, saveScreenshot, screenshotPath } from '../helpers/browser.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

const { skip, titleSuffix } = browserTestSetup('heartbeat');

const METRIC = 'messages-created';
const MINUTE = 60_000;
const definition = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [{ key: METRIC, label: 'Messages created', description: 'Messages customers sent', bucket_seconds: 10, regions: ['eu', 'us'] }],
});

describe.skipIf(skip)(`heartbeat charts in Chromium${titleSuffix}`, () => {
  let t: TestApp;
  let launching: Promise<Browser> | undefined;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    launching = launchChromium(); // starts while the data is prepared
    t = await startTestApp({ definition });
    const now = t.clock.now().getTime();
    // Six hours of traffic with a daily-looking wave; US stops 3 minutes before now.
    await t.db.query(
      `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at)
       SELECT $1, r, b, round(1000 + 300 * sin(extract(epoch FROM b) / 3600)), b
       FROM unnest(ARRAY['eu', 'us']) AS r, generate_series($2::timestamptz - interval '6 hours', $2::timestamptz + interval '1 minute', interval '10 seconds') AS b
       WHERE r = 'eu' OR b < $2::timestamptz - interval '3 minutes'`,
      [METRIC, new Date(now)],
    );
    // What the worker's maintenance job keeps doing: 1-minute roll-ups (the 7-day chart reads them).
    await rollUpHeartbeats(t.db, { from: new Date(now - 7 * 60 * MINUTE), to: new Date(now) }, heartbeatSeries(definition));
    const id = await openEpisode(t.db, { metric: METRIC, region: 'eu' }, { startedAt: new Date(now - 40 * MINUTE), tier: 'major', incidentId: null });
    await endEpisode(t.db, id, new Date(now - 30 * MINUTE));
    const tick = () =>
      evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), definition.heartbeats ?? [], { timeZone: 'UTC', maintenance: [] });
    await tick();
    t.clock.advance(10_000);
    await tick();
    await t.settle();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launching;
  });

  afterAll(async () => {
    await closeChromium(launching);
    await t?.close();
  });

  /** `path` in a fresh page, in UTC unless `options` say otherwise (the axis labels depend on it). */
  async function open(path: string, options: BrowserContextOptions = {}): Promise<Page> {
    const page = await openPage(browser, { timezoneId: 'UTC', ...options });
    const response = await page.goto(`${base}${path}`);
    expect(response?.status(), path).toBe(200);
    return page;
  }

  /** The chart with this accessible name: its observed line and band, as drawn. */
  async function drawn(page: Page, name: string) {
    const chart = page.getByRole('img', { name });
    expect(await chart.count(), name).toBe(1);
    return chart.evaluate((svg) => {
      const line = svg.querySelector('path.observed') as SVGPathElement | null;
      const band = svg.querySelector('polygon.expected-band') as SVGPolygonElement | null;
      const box = (e: SVGGraphicsElement | null) => {
        if (!e) return null;
        const { width, height } = e.getBBox();
        return { width, height };
      };
      return {
        lineVertices: (line?.getAttribute('d')?.match(/[ML]/g) ?? []).length,
        lineBox: box(line),
        lineStroke: line ? getComputedStyle(line).stroke : null,
        lineWidth: line ? getComputedStyle(line).strokeWidth : null,
        bandBox: box(band),
        bandFill: band ? getComputedStyle(band).fill : null,
        bandOpacity: band ? Number(getComputedStyle(band).fillOpacity) : null,
        episodes: svg.querySelectorAll('rect.episode').length,
        description: svg.querySelector('desc')?.textContent ?? '',
        width: svg.getBoundingClientRect().width,
      };
    });
  }

  it('draws the observed line and the expected band of every series on /heartbeat, without JavaScript', async () => {
    const page = await open('/heartbeat', { javaScriptEnabled: false });
    expect(await page.title()).toBe('Live activity · Acme Chat');
    for (const region of ['EU', 'US']) {
      const chart = await drawn(page, `Messages created in ${region}, last 24 hours`);
      // The series began 6 hours ago: 180 two-minute steps, nothing drawn before.
      expect(chart.lineVertices).toBe(180);
      expect(chart.lineBox?.width).toBeGreaterThan(100);
      expect(chart.lineStroke).not.toBe('none');
      expect(chart.lineWidth).toBe('2px');
      // The band is painted (an area, a colour, visible opacity) behind the line.
      expect(chart.bandBox?.width).toBeGreaterThan(100);
      expect(chart.bandBox?.height).toBeGreaterThan(1);
      expect(chart.bandFill).not.toBe('none');
      expect(chart.bandOpacity).toBeGreaterThan(0);
      expect(chart.width).toBeGreaterThan(600);
      expect(chart.description).toMatch(new RegExp(`^Messages created in ${region} over the last 24 hours: now [\\d,]+ per 10 s, expected [\\d,]+;`));
    }
    const eu = await drawn(page, 'Messages created in EU, last 24 hours');
    expect(eu.episodes).toBe(1);
    // The state in words next to each chart.
    const us = page.getByRole('region', { name: 'Messages created in US' });
    expect(await us.locator('.status').innerText()).toMatch(/^No data since \d\d:\d\d$/);
    expect(await page.getByRole('region', { name: 'Messages created in EU' }).locator('.status').innerText()).toBe('Normal');
    expect(await page.locator('a[data-tz-offer]').isVisible()).toBe(false);
    await saveScreenshot(page, 'heartbeat-no-js');
    await page.context().close();
  });

  it('offers the visitor their own time zone through the optional script', async () => {
    const page = await open('/heartbeat', { timezoneId: 'Europe/Berlin' });
    const offer = page.locator('a[data-tz-offer]');
    expect(await offer.isVisible()).toBe(true);
    expect(await offer.innerText()).toBe('Show times in your time zone (Europe/Berlin)');
    expect(await page.getByRole('link', { name: '1 hour' }).getAttribute('href')).toBe('/heartbeat?range=1h&tz=Europe%2FBerlin');
    await page.getByRole('link', { name: '1 hour' }).click();
    await page.waitForURL(/range=1h/);
    expect(await page.locator('main').innerText()).toContain('Times in Europe/Berlin.');
    const chart = await drawn(page, 'Messages created in EU, last hour');
    expect(chart.lineVertices).toBe(360);
    // 12:00 UTC is 13:00 in Berlin in March.
    expect(await page.locator('svg.hb-chart').first().locator('g.x-tick text').allTextContents()).toContain('13:00');
    await page.context().close();
  });

  it('shows one series over the three ranges on its own page, with links to its data', async () => {
    const page = await open(`/heartbeat/${METRIC}/eu`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Messages created in EU');
    // The series began 6 hours ago: 360 ten-second, 180 two-minute and 24 fifteen-minute steps.
    for (const [name, vertices] of [
      ['last hour', 360],
      ['last 24 hours', 180],
      ['last 7 days', 24],
    ] as const) {
      const chart = await drawn(page, `Messages created in EU, ${name}`);
      expect(chart.lineVertices, name).toBe(vertices);
      expect(chart.bandBox?.width, name).toBeGreaterThan(10);
    }
    const csv = await page.getByRole('link', { name: 'CSV of the last 24 hours' }).getAttribute('href');
    const response = await page.request.get(`${base}${csv}`);
    expect(response.headers()['content-type']).toMatch(/^text\/csv/);
    expect((await response.text()).split('\r\n')[0]).toBe('bucket_start,observed,expected,expected_low,expected_high,in_episode');
    await saveScreenshot(page, 'heartbeat-series');
    await page.context().close();
  });

  it('loads the sparkline images on the main page', async () => {
    const page = await open('/');
    const images = page.getByRole('region', { name: 'Live activity' }).locator('img');
    expect(await images.count()).toBe(2);
    await page.waitForFunction(() => [...document.querySelectorAll('.hb-sparks img')].every((img) => (img as HTMLImageElement).complete));
    const sizes = await images.evaluateAll((imgs) => imgs.map((img) => [(img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight]));
    expect(sizes).toEqual([
      [120, 28],
      [120, 28],
    ]);
    await page.getByRole('region', { name: 'Live activity' }).screenshot({ path: screenshotPath('status-live-activity') });
    await page.context().close();
  });

  it('fits a 375px wide phone without sideways scrolling, its axis labels at least 11 px', async () => {
    for (const path of ['/heartbeat', `/heartbeat/${METRIC}/us`]) {
      const page = await open(path, { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      // The rendered size of each visible axis label: its font size in the SVG's units times the SVG's scale.
      const sizes = await page.evaluate(() =>
        [...document.querySelectorAll<SVGTextElement>('svg.hb-chart text')]
          .filter((text) => text.getClientRects().length > 0)
          .map((text) => (text.getScreenCTM()?.a ?? 0) * Number.parseFloat(getComputedStyle(text).fontSize)),
      );
      expect(sizes.length).toBeGreaterThan(10);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
      // One layout of each chart is shown, never both.
      const shown = await page.evaluate(() => [...document.querySelectorAll('svg.hb-chart')].filter((svg) => svg.getClientRects().length > 0).length);
      expect(shown).toBe(await page.evaluate(() => document.querySelectorAll('svg.hb-chart').length / 2));
      if (path === '/heartbeat') await saveScreenshot(page, 'heartbeat-mobile');
      await page.context().close();
    }
  });

  it('has no serious or critical axe violations on /heartbeat and a series page, in light and dark', async () => {
    const failures: string[] = [];
    for (const [path, name] of [
      ['/heartbeat', 'heartbeat'],
      [`/heartbeat/${METRIC}/us`, 'heartbeat-series-us'],
    ]) {
      // axe is injected as a script, which the page's Content-Security-Policy blocks: bypass it for the audit only.
      const page = await open(path, { bypassCSP: true });
      failures.push(...(await auditWithAxe(page, path, (colorScheme) => saveScreenshot(page, `${name}-${colorScheme}`))));
      await page.context().close();
    }
    expect(failures, `axe found serious or critical violations:\n\n${failures.join('\n\n')}\n`).toEqual([]);
  }, 120_000); // one test audits many pages in two schemes
});
