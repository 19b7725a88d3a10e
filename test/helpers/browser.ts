/**
 * The harness the browser tests share: a system Chromium driven by playwright-core, fresh pages,
 * screenshots under test-results/screenshots, axe-core audits in the light and the dark scheme, and
 * the console set-up (app, accounts, Chromium, sign-in) the console suites start from.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { PageDefinition } from '../../src/config.ts';
import { createUser } from '../../src/services/access/create-user.ts';
import { setPassword } from '../../src/services/access/set-password.ts';
import type { UserRole } from '../../src/domain/roles.ts';
import { startTestApp, type TestApp } from './app.ts';
import { freePort } from './lifeline-process.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SCREENSHOTS = join(import.meta.dirname, '../../test-results/screenshots');
const MISSING = `Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;

/**
 * Whether the suite named `label` may be skipped, and what its title then says. Only a developer's
 * machine skips: in CI a missing browser is a broken image, not a reason to go green, so the suite
 * runs and `launchChromium()` fails its beforeAll.
 */
export function browserTestSetup(label: string): { skip: boolean; titleSuffix: string } {
  const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true';
  if (skip) console.warn(`[${label} browser test] skipped: ${MISSING}`);
  return { skip, titleSuffix: skip ? ` (skipped: ${MISSING})` : '' };
}

/**
 * Starts Chromium without waiting for it, so it starts while the test prepares its app and data;
 * await the promise once they are ready. Throws at once when Chromium is missing (reached only
 * under CI=true, see browserTestSetup).
 */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${MISSING}; CI=true, so this test may not be skipped`);
  const launching = chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  launching.catch(() => {}); // awaited by the caller; this only keeps an early failure from going unhandled
  return launching;
}

/** For afterAll: closes the browser if it started (a failed launch was already reported by beforeAll). */
export async function closeChromium(launching: Promise<Browser> | undefined): Promise<void> {
  await (await launching?.catch(() => undefined))?.close();
}

/**
 * A page in a fresh context (1280×900 unless `options` say otherwise), so viewport, colour scheme
 * and JavaScript settings never leak between checks. With `dialogs`, every dialog is dismissed and
 * recorded there: the tests expect none, since one would mean page text ran as script.
 */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}, dialogs?: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  if (dialogs) {
    page.on('dialog', (dialog) => {
      dialogs.push(`${page.url()}: ${dialog.type()} ${dialog.message()}`);
      void dialog.dismiss();
    });
  }
  return page;
}

/** Where the screenshot `name` (without .png) goes; the folder is made on first use. */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}

/** A full-page screenshot, kept for people to look at (CI uploads test-results). */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: screenshotPath(name), fullPage: true });
}

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: string; html: string; summary: string }[];
}

/**
 * Audits the loaded page with axe-core in the light and then the dark scheme, and returns a report
 * for each serious or critical violation (lesser ones are only logged); `label` names the page in
 * the reports. `inScheme` runs once each scheme is applied, before its audit (e.g. a screenshot).
 * axe is injected as a script: a page whose Content-Security-Policy forbids that must come from a
 * context opened with `bypassCSP: true`. Leaves the page in the light scheme.
 */
export async function auditWithAxe(page: Page, label: string, inScheme?: (colorScheme: 'light' | 'dark') => Promise<void>): Promise<string[]> {
  const failures: string[] = [];
  // Same loaded page, both schemes: axe is injected once per page.
  await page.addScriptTag({ path: AXE_SOURCE });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // An audit of the "dark" page is only worth something if the page really sees the dark scheme.
    expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), `${label} (${colorScheme})`).toBe(colorScheme === 'dark');
    await inScheme?.(colorScheme);
    const violations: Violation[] = await page.evaluate(async () => {
      const { axe } = window as unknown as { axe: typeof import('axe-core') };
      const results = await axe.run(document, { resultTypes: ['violations'] });
      return results.violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? null,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html, summary: n.failureSummary ?? '' })),
      }));
    });
    for (const v of violations) {
      const report = `${label} (${colorScheme}) ${v.impact ?? 'unknown impact'}: ${v.id}: ${v.help}\n  ${v.helpUrl}\n${v.nodes.map((n) => `  - ${n.target}\n    ${n.html}\n    ${n.summary.replaceAll('\n', '\n    ')}`).join('\n')}`;
      if (v.impact === 'serious' || v.impact === 'critical') failures.push(report);
      else console.info(`axe, not failing the test: ${report}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return failures;
}

/** A console account made before the app listens: email, role and, optionally, a display name. */
export type ConsoleAccount = readonly [email: string, role: UserRole, name?: string | null];

/** What startConsoleInBrowser gives a console suite; fields are ready once it resolves. */
export interface ConsoleInBrowser {
  t: TestApp;
  /** The address the browser uses, which is also the app's public URL. */
  base: string;
  /** Dialogs seen on any page from newPage: the tests expect none, since one would mean page text ran as script. */
  dialogs: string[];
  /** A page in a fresh context (closed with the browser) whose dialogs go to `dialogs`. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** Opens the sign-in form, signs `email` in with the suite's password, and resolves on the dashboard. */
  signIn(page: Page, email: string): Promise<void>;
  /** The second half of signIn, for a page already on the sign-in form (e.g. after a redirect the test checks). */
  submitSignIn(page: Page, email: string): Promise<void>;
  /** For afterAll: closes Chromium, then the app. */
  close(): Promise<void>;
}

/**
 * For a console suite's beforeAll: starts Chromium, and meanwhile an app whose public URL is the
 * address the browser uses (so cookies and links match it) with `accounts` signed in by `password`.
 * `prepare` seeds anything else before the app listens, so no page sees a half-made state. If any
 * step fails, what had started is closed here, since afterAll then has nothing to close.
 */
export async function startConsoleInBrowser(options: {
  definition?: PageDefinition;
  accounts: readonly ConsoleAccount[];
  password: string;
  prepare?: (t: TestApp, base: string) => Promise<void>;
}): Promise<ConsoleInBrowser> {
  const { definition, accounts, password, prepare } = options;
  const launching = launchChromium(); // starts while the app and its data are prepared; throws at once if missing (CI)
  let t: TestApp | undefined;
  const close = async () => {
    await closeChromium(launching);
    await t?.close();
  };
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    t = await startTestApp({ definition, env: { LIFELINE_PUBLIC_URL: base } });
    const ctx = t.app.serviceContext(labelledOperator('test'));
    for (const [email, role, name] of accounts) {
      const { user } = await createUser(ctx, { email, role, name: name ?? undefined });
      await setPassword(ctx, user.id, { password, confirm: password });
    }
    await prepare?.(t, base);
    await t.app.listen({ port, host: '127.0.0.1' });
    const browser = await launching;
    const dialogs: string[] = [];
    const submitSignIn = async (page: Page, email: string) => {
      await page.getByLabel('Email address', { exact: true }).first().fill(email);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await Promise.all([page.waitForURL(`${base}/console`), page.getByRole('button', { name: 'Sign in' }).click()]);
    };
    return {
      t,
      base,
      dialogs,
      close,
      submitSignIn,
      newPage: (pageOptions = {}) => openPage(browser, pageOptions, dialogs),
      signIn: async (page, email) => {
        await page.goto(`${base}/console/sign-in`);
        await submitSignIn(page, email);
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
