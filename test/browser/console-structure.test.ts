/**
 * Groups and components managed in the console (page.components_from: console) in a real Chromium
 * against the real app (PostgreSQL when DATABASE_URL is set, else PGlite): an admin adds a group and
 * two components through the labelled forms, sees them on the public page, renames and reorders one
 * through its Edit link, removes the other, and the pages pass axe-core audits in light and dark.
 * test/routes/console-structure.test.ts covers the same flows (and the refusals) through app.inject.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import type { TestApp } from '../helpers/app.ts';
import { auditWithAxe, browserTestSetup, saveScreenshot, startConsoleInBrowser, type ConsoleInBrowser } from '../helpers/browser.ts';

const { skip, titleSuffix } = browserTestSetup('console-structure');

const ADMIN = 'boss@acme.example';
const PASSWORD = 'a long on-call passphrase';
const DEFINITION = validatePageDefinition({ page: { name: 'Acme Chat', components_from: 'console' } });

interface V2Component {
  id: string;
  name: string;
  group: boolean;
  group_id: string | null;
}

describe.skipIf(skip)(`groups and components managed in the console, in Chromium${titleSuffix}`, () => {
  let ui: ConsoleInBrowser;
  let t: TestApp;
  let base: string;
  let admin: Page;
  let editPath: string;

  beforeAll(async () => {
    ui = await startConsoleInBrowser({ definition: DEFINITION, accounts: [[ADMIN, 'admin']], password: PASSWORD });
    ({ t, base } = ui);
  });

  afterAll(() => ui?.close());

  /** /api/v2/components.json as a visitor gets it, once the public snapshot has caught up with the changes. */
  async function publicComponents(page: Page): Promise<V2Component[]> {
    await t.settle();
    const response = await page.request.get(`${base}/api/v2/components.json`);
    expect(response.status()).toBe(200);
    return ((await response.json()) as { components: V2Component[] }).components;
  }

  /** The names of the components listed under a group on /console/components, in order. */
  const consoleGroupNames = (page: Page, group: string) => page.getByRole('region', { name: group, exact: true }).locator('.component strong').allInnerTexts();

  it('adds a group and two components in it through the labelled forms', async () => {
    admin = await ui.newPage();
    await ui.signIn(admin, ADMIN);
    await admin.goto(`${base}/console/components`);
    expect(await admin.getByRole('heading', { level: 1 }).innerText()).toBe('Components');
    expect(await admin.locator('main').innerText()).toContain('There are no components yet.');

    const addGroup = admin.getByRole('region', { name: 'Add a group' });
    await addGroup.getByLabel(/^Name/).fill('United States');
    await Promise.all([admin.waitForURL(`${base}/console/components?done=group-added`), addGroup.getByRole('button', { name: 'Add group' }).click()]);
    expect(await admin.getByRole('status').innerText()).toContain('Group added.');
    expect(await admin.getByRole('region', { name: 'United States', exact: true }).innerText()).toContain('No components in this group yet.');

    for (const name of ['Messaging', 'API']) {
      const addComponent = admin.getByRole('region', { name: 'Add a component' });
      await addComponent.getByLabel('Name', { exact: true }).fill(name);
      await addComponent.getByLabel('Group', { exact: true }).selectOption({ label: 'United States' });
      await Promise.all([
        admin.waitForURL(new RegExp(`^${base}/console/components\\?done=component-added#component-`)),
        addComponent.getByRole('button', { name: 'Add component' }).click(),
      ]);
      expect(await admin.getByRole('status').innerText()).toContain('Component added.');
    }
    expect(await consoleGroupNames(admin, 'United States')).toEqual(['Messaging', 'API']);
    await saveScreenshot(admin, 'console-structure-components');
  });

  it('shows the group and its components on the public page', async () => {
    await t.settle(); // the snapshot is rebuilt on the change notification; wait for that rebuild, not a fixed time
    const visitor = await ui.newPage();
    const response = await visitor.goto(`${base}/`);
    expect(response?.status()).toBe(200);
    const group = visitor.getByRole('region', { name: 'Components' }).getByRole('region', { name: 'United States', exact: true });
    expect(await group.count()).toBe(1);
    const names = (await group.locator('.component > .row > span:first-child').allInnerTexts()).map((text) => text.trim());
    expect(names).toEqual(['Messaging', 'API']);
    expect(await visitor.getByRole('region', { name: 'Other components' }).count()).toBe(0);
  });

  it('renames "API" to "Public API" and puts it first through its Edit link', async () => {
    await admin.goto(`${base}/console/components`);
    await Promise.all([
      admin.waitForURL(/\/console\/components\/[^/]+\/edit$/),
      admin.getByRole('link', { name: 'Edit API (United States)', exact: true }).click(),
    ]);
    editPath = new URL(admin.url()).pathname;
    expect(await admin.getByRole('heading', { level: 1 }).innerText()).toBe('Component “API”');
    expect(await admin.getByLabel('Name', { exact: true }).inputValue()).toBe('API');
    expect(await admin.getByLabel('Group', { exact: true }).locator('option:checked').textContent()).toBe('United States');
    expect(await admin.getByLabel('Place').inputValue()).toBe('2');
    await saveScreenshot(admin, 'console-structure-component-edit');

    await admin.getByLabel('Name', { exact: true }).fill('Public API');
    await admin.getByLabel('Place').fill('1');
    await Promise.all([
      admin.waitForURL(new RegExp(`^${base}/console/components\\?done=component-saved#component-`)),
      admin.getByRole('button', { name: 'Save', exact: true }).click(),
    ]);
    expect(await admin.getByRole('status').innerText()).toBe('Component saved.');
    expect(await consoleGroupNames(admin, 'United States')).toEqual(['Public API', 'Messaging']);
    // The key stays what the first name made it, so API clients keep working after the rename.
    expect(await admin.locator(`#component-${editPath.split('/')[3]} code`).innerText()).toBe('api');
    expect((await publicComponents(admin)).map((c) => c.name)).toEqual(['United States', 'Public API', 'Messaging']);
  });

  it('removes "Messaging" with its remove button', async () => {
    const before = await publicComponents(admin);
    const messaging = before.find((c) => c.name === 'Messaging')!;
    await admin.goto(`${base}/console/components`);
    await Promise.all([
      admin.waitForURL(`${base}/console/components/${messaging.id}/edit`),
      admin.getByRole('link', { name: 'Edit Messaging (United States)', exact: true }).click(),
    ]);
    // A removal asks first: the button sits behind a disclosure.
    expect(await admin.getByRole('button', { name: /^Remove from the page/ }).isVisible()).toBe(false);
    await admin.getByText('Remove this component…').click();
    await Promise.all([
      admin.waitForURL(`${base}/console/components?done=component-removed`),
      admin.getByRole('button', { name: /^Remove from the page/ }).click(),
    ]);
    expect(await admin.getByRole('status').innerText()).toContain('Component removed from the page; its history is kept.');
    expect(await consoleGroupNames(admin, 'United States')).toEqual(['Public API']);

    const after = await publicComponents(admin);
    expect(after.map((c) => c.name)).toEqual(['United States', 'Public API']);
    expect(after.some((c) => c.id === messaging.id)).toBe(false);
  });

  it('has no serious or critical axe violations on the components and edit pages, in light and dark', async () => {
    // axe is injected as a script, which the console's Content-Security-Policy would block: bypass it for the audit only.
    const page = await ui.newPage({ bypassCSP: true });
    const failures: string[] = [];
    await ui.signIn(page, ADMIN);
    const group = (await publicComponents(page)).find((c) => c.group)!;
    for (const [path, name] of [
      ['/console/components', 'components (structure)'],
      [editPath, 'component edit'],
      [`/console/component-groups/${group.id}`, 'group edit'],
    ]) {
      const response = await page.goto(`${base}${path}`);
      expect(response?.status(), path).toBe(200);
      failures.push(...(await auditWithAxe(page, name)));
    }
    expect(failures, `axe found serious or critical violations:\n\n${failures.join('\n\n')}\n`).toEqual([]);
    expect(ui.dialogs).toEqual([]);
  }, 120_000); // one test audits many pages in two schemes
});
