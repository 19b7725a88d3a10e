/**
 * The console's live preview in a real Chromium: the incident card is drawn in the colour of the
 * impact the incident will have (the chosen impact, else the one the component statuses imply; on
 * an existing incident, its impact), as the public page will draw it.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declareIncident } from '../../src/services/incidents/declare-incident.ts';
import type { TestApp } from '../helpers/app.ts';
import { browserTestSetup, startConsoleInBrowser, type ConsoleInBrowser } from '../helpers/browser.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

const { skip, titleSuffix } = browserTestSetup('console preview');

const PASSWORD = 'a long on-call passphrase';

describe.skipIf(skip)(`console live preview in Chromium${titleSuffix}`, () => {
  let ui: ConsoleInBrowser;
  let t: TestApp;
  let base: string;
  let page: Page;
  let openIncidentId: string;

  beforeAll(async () => {
    ui = await startConsoleInBrowser({
      accounts: [['oncall@acme.example', 'responder', 'On-call']],
      password: PASSWORD,
      prepare: async (app) => {
        openIncidentId = (
          await declareIncident(app.app.serviceContext(labelledOperator('test')), { name: 'Search is slow', impact: 'critical', body: 'Looking.' })
        ).id;
      },
    });
    ({ t, base } = ui);
    page = await ui.newPage();
    await ui.signIn(page, 'oncall@acme.example');
  });

  afterAll(() => ui?.close());

  const card = () => page.locator('#live-preview article.incident');
  /** Waits for the preview (refreshed by a debounced fetch) to draw the card with this impact. */
  const expectImpact = async (impact: string) => {
    await page.locator(`#live-preview article.incident.impact-${impact}`).waitFor({ timeout: 10_000 });
    expect(await card().getAttribute('class')).toContain(`impact-${impact}`);
  };
  const borderColour = () => card().evaluate((element) => getComputedStyle(element).borderLeftColor);

  it('follows the component statuses, then the chosen impact, when declaring', async () => {
    await page.goto(`${base}/console/incidents/new`);
    await page.getByLabel('Title').fill('Messages delayed');
    await page.getByLabel('Update for customers').fill('We are investigating.');
    await expectImpact('none');
    const noImpactColour = await borderColour();

    await page.locator(`#c-${await t.componentId('us-messaging')}`).selectOption('major_outage');
    await expectImpact('major');
    expect(await borderColour()).not.toBe(noImpactColour);

    await page.locator(`#c-${await t.componentId('us-messaging')}`).selectOption('degraded_performance');
    await expectImpact('minor');

    await page.locator('#impact').selectOption('critical');
    await expectImpact('critical');
    expect(ui.dialogs).toEqual([]);
  });

  it("shows an existing incident's impact when previewing an update", async () => {
    await page.goto(`${base}/console/incidents/${openIncidentId}`);
    await page.getByLabel('Update for customers').fill('Still looking.');
    await expectImpact('critical');
  });
});
