/**
 * Incident templates own their contract (there is no API for them, so the console is the only
 * form door): the template form's maxlengths are the contract's limits, creating and replacing take
 * the same contract, and the form shows next to the field the very words a direct call gets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorActor } from '../../src/domain/actor.ts';
import { ValidationError } from '../../src/domain/errors.ts';
import { limitsOf } from '../../src/services/shared/fields.ts';
import { createTemplate, CreateTemplateInput } from '../../src/services/templates/create-template.ts';
import { updateTemplate, UpdateTemplateInput } from '../../src/services/templates/update-template.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { consoleClient, unescapeHtml, type ConsoleSession } from '../helpers/console-client.ts';

let t: TestApp;
let client: ReturnType<typeof consoleClient>;
let responder: ConsoleSession;
let templateId = '';
const ctx = () => t.app.serviceContext(operatorActor('contract-test'));

beforeAll(async () => {
  t = await startTestApp();
  client = consoleClient(t);
  await client.account('oncall@acme.example', 'responder');
  responder = await client.signIn('oncall@acme.example');
  templateId = (await createTemplate(ctx(), { name: 'EU outage', title: 'Messaging outage', body: 'Looking.', components: { 'eu-messaging': 'major_outage' } }))
    .id;
});
afterAll(() => t.close());

describe('the template form carries its contract', () => {
  it('creating and replacing a template take one contract', () => {
    expect(UpdateTemplateInput).toBe(CreateTemplateInput);
  });

  it.each(['/console/templates/new', 'edit'])("%s: every maxlength is the contract's limit", async (url) => {
    const page = await client.get(url === 'edit' ? `/console/templates/${templateId}` : url, responder);
    expect(page.statusCode).toBe(200);
    const shown = Object.fromEntries([...page.body.matchAll(/name="(\w+)"[^>]*maxlength="(\d+)"/g)].map((m) => [m[1], Number(m[2])]));
    expect(shown).toEqual(limitsOf(CreateTemplateInput));
    expect(shown).toEqual({ name: 100, title: 255, body: 25_000 });
  });
});

describe("the form shows the use-case's words next to the field", () => {
  const direct = async (call: () => Promise<unknown>) => {
    const error: unknown = await call().then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  };
  /** The form's summary line (`<field>: <problem>`), which names the field the way the use-case does. */
  const formError = async (url: string, fields: Record<string, string>) => {
    const response = await client.post(url, { _csrf: responder.csrf, ...fields }, responder);
    expect(response.statusCode).toBe(400);
    return unescapeHtml(response.body);
  };

  const GOOD = { name: 'Outage', title: 'Messaging outage', status: 'investigating', body: 'Looking.' };
  const BAD: [what: string, fields: Record<string, string>][] = [
    ['an empty name', { name: '' }],
    ['a name of spaces', { name: '   ' }],
    ['a long name', { name: 'n'.repeat(101) }],
    ['a long title', { title: 't'.repeat(256) }],
    ['a status a template cannot open with', { status: 'resolved' }],
    ['an unknown impact', { impact: 'apocalyptic' }],
    ['an empty body', { body: '' }],
    ['a name with a line break', { name: 'two\nlines' }],
  ];
  it.each(BAD)('%s', async (_what, change) => {
    const fields = { ...GOOD, ...change };
    const { impact, ...rest } = fields as typeof fields & { impact?: string };
    const input = { ...rest, ...(impact === undefined ? {} : { impact }) };
    const created = await direct(() => createTemplate(ctx(), { ...input }));
    const replaced = await direct(() => updateTemplate(ctx(), templateId, { ...input }));
    expect(replaced.message).toBe(created.message);
    const page = await formError('/console/templates', fields);
    expect(page).toContain(created.message);
    const problem = created.message.slice(created.field.length + 2);
    expect(page).toContain(`id="${created.field}-error">${problem}`);
  });

  it('a component status the page does not know', async () => {
    const error = await direct(() => createTemplate(ctx(), { ...GOOD, components: { 'eu-messaging': 'on_fire' } }));
    expect(error.field).toBe('components.eu-messaging');
    expect(error.message).toBe('components.eu-messaging: must be one of operational, degraded_performance, partial_outage, major_outage, under_maintenance');
    const missing = await direct(() => createTemplate(ctx(), { ...GOOD, components: { nope: 'major_outage' } }));
    expect(missing.message).toBe('components.nope: no such component');
    const euMessaging = await t.componentId('eu-messaging');
    expect(await formError(`/console/templates/${templateId}`, { ...GOOD, [`component:${euMessaging}`]: 'on_fire' })).toContain(
      `components.${euMessaging}: must be one of`,
    );
  });
});
