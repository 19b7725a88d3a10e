/**
 * Groups and components edited in the console (page.components_from: console) through app.inject:
 * admins add, edit, reorder and remove them through the same use-cases as the API; responders and
 * viewers cannot; form errors name the field; a file-driven page offers no structure forms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { consoleClient, type ConsoleSession } from '../helpers/console-client.ts';

const DEFINITION = validatePageDefinition({ page: { name: 'Acme Chat', components_from: 'console' } });

let t: TestApp;
let client: ReturnType<typeof consoleClient>;
let admin: ConsoleSession;
let responder: ConsoleSession;

beforeAll(async () => {
  t = await startTestApp({ definition: DEFINITION });
  client = consoleClient(t);
  await client.account('admin@acme.example', 'admin');
  await client.account('oncall@acme.example', 'responder');
  admin = await client.signIn('admin@acme.example');
  responder = await client.signIn('oncall@acme.example');
});
afterAll(() => t.close());

const v2 = async () => {
  await t.settle();
  return (await t.app.inject({ method: 'GET', url: '/api/v2/components.json' })).json().components as {
    id: string;
    name: string;
    group: boolean;
    group_id: string | null;
    description: string | null;
  }[];
};

describe('structure in the console', () => {
  it('lets an admin add groups and components, shown on the public page', async () => {
    const empty = await client.get('/console/components', admin);
    expect(empty.body).toContain('There are no components yet.');
    expect(empty.body).toContain('Add a component');

    const group = await client.post('/console/component-groups', { _csrf: admin.csrf, name: 'Europe', description: 'Frankfurt' }, admin);
    expect(group.statusCode).toBe(303);
    expect(group.headers.location).toBe('/console/components?done=group-added');
    const [europe] = await v2();
    const page = await client.get('/console/components?done=group-added', admin);
    expect(page.body).toContain('Group added.');
    expect(page.body).toContain(`<option value="${europe.id}">Europe</option>`);

    const added = await client.post(
      '/console/components',
      { _csrf: admin.csrf, name: 'Messaging', group_id: europe.id, description: 'Sending & receiving', only_show_if_degraded: 'off' },
      admin,
    );
    expect(added.statusCode).toBe(303);
    expect(added.headers.location).toMatch(/^\/console\/components\?done=component-added#component-/);
    await client.post('/console/components', { _csrf: admin.csrf, name: 'API', group_id: europe.id }, admin);
    await client.post('/console/components', { _csrf: admin.csrf, name: 'Website', group_id: '' }, admin);
    expect((await v2()).map((c) => c.name)).toEqual(['Europe', 'Messaging', 'API', 'Website']);
    const html = (await t.app.inject({ method: 'GET', url: '/' })).body;
    expect(html).toContain('Sending &amp; receiving');
  });

  it('re-renders the form with the error next to the field', async () => {
    const blank = await client.post('/console/components', { _csrf: admin.csrf, name: '  ', group_id: '', description: 'kept' }, admin);
    expect(blank.statusCode).toBe(400);
    expect(blank.body).toMatch(/id="c-name-error">must not be empty/);
    expect(blank.body).toContain('value="kept"');
    const key = await client.post('/console/components', { _csrf: admin.csrf, name: 'Site', key: 'website' }, admin);
    expect(key.statusCode).toBe(400);
    expect(key.body).toMatch(/id="c-key-error">&quot;website&quot; is already used/);
    const groupName = await client.post('/console/component-groups', { _csrf: admin.csrf, name: '' }, admin);
    expect(groupName.statusCode).toBe(400);
    expect(groupName.body).toMatch(/id="g-name-error">must not be empty/);
  });

  it('edits, reorders, regroups and removes components and groups', async () => {
    const before = await v2();
    const api = before.find((c) => c.name === 'API')!;
    const europe = before.find((c) => c.name === 'Europe')!;
    const editor = await client.get(`/console/components/${api.id}/edit`, admin);
    expect(editor.statusCode).toBe(200);
    expect(editor.body).toContain('value="2"');
    const badPlace = await client.post(`/console/components/${api.id}`, { _csrf: admin.csrf, name: 'API', group_id: europe.id, position: '0' }, admin);
    expect(badPlace.statusCode).toBe(400);
    expect(badPlace.body).toMatch(/id="e-position-error">must be a whole number from 1/);
    const saved = await client.post(
      `/console/components/${api.id}`,
      { _csrf: admin.csrf, name: 'Public API', description: '', group_id: europe.id, position: '1' },
      admin,
    );
    expect(saved.statusCode).toBe(303);
    expect((await v2()).map((c) => c.name)).toEqual(['Europe', 'Public API', 'Messaging', 'Website']);

    // Removing a group keeps its components on the page, ungrouped.
    expect((await client.get(`/console/component-groups/${europe.id}`, admin)).body).toContain('Remove group');
    const removed = await client.post(`/console/component-groups/${europe.id}/archive`, { _csrf: admin.csrf }, admin);
    expect(removed.headers.location).toBe('/console/components?done=group-removed');
    const after = await v2();
    expect(after.map((c) => [c.name, c.group_id])).toEqual([
      ['Public API', null],
      ['Messaging', null],
      ['Website', null],
    ]);

    // An open incident holds its components on the page.
    const website = after.find((c) => c.name === 'Website')!;
    const token = await t.token('incidents:write');
    const incident = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/incidents',
        headers: { authorization: `Bearer ${token}` },
        payload: { name: 'Site down', body: 'Looking', components: { [website.id]: 'major_outage' } },
      })
    ).json();
    const held = await client.post(`/console/components/${website.id}/archive`, { _csrf: admin.csrf }, admin);
    expect(held.statusCode).toBe(409);
    expect(held.body).toContain(`affected by an open incident or maintenance (${incident.id})`);
    const messaging = after.find((c) => c.name === 'Messaging')!;
    expect((await client.post(`/console/components/${messaging.id}/archive`, { _csrf: admin.csrf }, admin)).headers.location).toBe(
      '/console/components?done=component-removed',
    );
    expect((await v2()).map((c) => c.name)).toEqual(['Public API', 'Website']);
  });

  it('keeps structure edits to admins and behind the CSRF check', async () => {
    const page = await client.get('/console/components', responder);
    expect(page.body).not.toContain('Add a component');
    expect(page.body).toContain('Set status');
    expect((await client.post('/console/components', { _csrf: responder.csrf, name: 'Sneaky' }, responder)).statusCode).toBe(403);
    expect((await client.post('/console/components', { _csrf: 'forged', name: 'Sneaky' }, admin)).statusCode).toBe(403);
    expect((await client.post('/console/components', { _csrf: admin.csrf, name: 'Sneaky' }, admin, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await v2()).some((c) => c.name === 'Sneaky')).toBe(false);
  });
});

describe('structure from the definition file', () => {
  it('offers no structure forms, and the routes refuse with the reason', async () => {
    const file = await startTestApp();
    try {
      const fileClient = consoleClient(file);
      await fileClient.account('admin@acme.example', 'admin');
      const session = await fileClient.signIn('admin@acme.example');
      const page = await fileClient.get('/console/components', session);
      expect(page.body).toContain('To manage them here instead, set');
      expect(page.body).not.toContain('Add a component');
      const refused = await fileClient.post('/console/components', { _csrf: session.csrf, name: 'Search' }, session);
      expect(refused.statusCode).toBe(409);
      expect(refused.body).toContain('page.components_from');
    } finally {
      await file.close();
    }
  });
});
