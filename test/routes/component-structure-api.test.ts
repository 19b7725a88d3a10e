/**
 * Groups and components managed through the API on a page with `page.components_from: console`,
 * and refused (409) on a page driven by the definition file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import { syncPageDefinition } from '../../src/services/components/sync-page-definition.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

const CONSOLE_DEFINITION = validatePageDefinition({ page: { name: 'Acme Chat', components_from: 'console' } });

interface V2Component {
  id: string;
  name: string;
  group: boolean;
  group_id: string | null;
  components?: string[];
  status: string;
  description: string | null;
}

describe('a page whose structure comes from the definition file', () => {
  let t: TestApp;
  let writer: string;
  beforeAll(async () => {
    t = await startTestApp();
    writer = await t.token('components:write');
  });
  afterAll(() => t.close());

  it('refuses structure edits with 409 naming the setting, and still takes status changes', async () => {
    const auth = { authorization: `Bearer ${writer}` };
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/components', payload: { name: 'Search' }, headers: auth });
    expect(created.statusCode).toBe(409);
    expect(created.json().message).toContain('page.components_from');
    const renamed = await t.app.inject({ method: 'PATCH', url: '/api/v1/components/us-api', payload: { name: 'Public API' }, headers: auth });
    expect(renamed.statusCode).toBe(409);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/component-groups/us', headers: auth })).statusCode).toBe(409);
    const status = await t.app.inject({ method: 'PATCH', url: '/api/v1/components/us-api', payload: { status: 'degraded_performance' }, headers: auth });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ name: 'API', status: 'degraded_performance' });
    const empty = await t.app.inject({ method: 'PATCH', url: '/api/v1/components/us-api', payload: {}, headers: auth });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message).toMatch(/^status: /);
  });
});

describe('a page whose structure is managed in the console and API', () => {
  let t: TestApp;
  let writer: string;
  const call = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${writer}` } });
  const v2 = async (): Promise<V2Component[]> => {
    await t.settle();
    return (await t.app.inject({ method: 'GET', url: '/api/v2/components.json' })).json().components;
  };

  beforeAll(async () => {
    t = await startTestApp({ definition: CONSOLE_DEFINITION });
    writer = await t.token('components:write', 'incidents:write');
  });
  afterAll(() => t.close());

  it('starts empty, then adds groups and components that the v2 API and the page show', async () => {
    expect(await v2()).toEqual([]);
    const us = await call('POST', '/api/v1/component-groups', { name: 'United States' });
    expect(us.statusCode).toBe(201);
    expect(us.json()).toMatchObject({ name: 'United States', group: true, components: [] });
    const eu = (await call('POST', '/api/v1/component-groups', { name: 'Europe', key: 'eu', description: 'Frankfurt' })).json();

    // A group is named by key or id; keys are made from names.
    const messaging = await call('POST', '/api/v1/components', { name: 'Messaging', group_id: 'united-states' });
    expect(messaging.statusCode).toBe(201);
    expect(messaging.json()).toMatchObject({ name: 'Messaging', group_id: us.json().id, status: 'operational', group: false });
    const api = (
      await call('POST', '/api/v1/components', { name: 'API', group_id: us.json().id, status: 'degraded_performance', description: 'REST and webhooks' })
    ).json();
    await call('POST', '/api/v1/components', { name: 'Messaging', group_id: 'eu' });
    await call('POST', '/api/v1/components', { name: 'Website', key: 'www' });

    const components = await v2();
    expect(components.map((c) => [c.name, c.group])).toEqual([
      ['United States', true],
      ['Messaging', false],
      ['API', false],
      ['Europe', true],
      ['Messaging', false],
      ['Website', false],
    ]);
    expect(components.find((c) => c.id === us.json().id)).toMatchObject({ status: 'degraded_performance', components: [messaging.json().id, api.id] });
    expect(components.find((c) => c.id === eu.id)?.description).toBe('Frankfurt');
    const html = (await t.app.inject({ method: 'GET', url: '/' })).body;
    expect(html).toContain('United States');
    expect(html).toContain('REST and webhooks');
    // The same keys work wherever components are named.
    const patch = await call('PATCH', '/api/v1/components/www', { status: 'major_outage' });
    expect(patch.json()).toMatchObject({ name: 'Website', status: 'major_outage' });
    const second = (await call('POST', '/api/v1/components', { name: 'Messaging', group_id: 'eu' })).json();
    expect(second.name).toBe('Messaging');
    expect((await t.db.query('SELECT key FROM component WHERE id = $1', [second.id]))[0].key).toBe('messaging-3');
    await call('DELETE', `/api/v1/components/${second.id}`);
  });

  it('renames, reorders and regroups; removing a group keeps its components, ungrouped', async () => {
    const before = await v2();
    const api = before.find((c) => c.name === 'API')!;
    const renamed = await call('PATCH', `/api/v1/components/${api.id}`, { name: 'Public API', position: 1, description: null });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Public API', description: null, status: 'degraded_performance' });
    expect((await v2()).filter((c) => c.group_id === api.group_id).map((c) => c.name)).toEqual(['Public API', 'Messaging']);

    const eu = before.find((c) => c.name === 'Europe')!;
    await call('PATCH', '/api/v1/component-groups/eu', { position: 1, name: 'European Union' });
    await call('PATCH', `/api/v1/components/${api.id}`, { group_id: 'eu' });
    let after = await v2();
    expect(after.filter((c) => c.group).map((c) => c.name)).toEqual(['European Union', 'United States']);
    expect(after.find((c) => c.id === eu.id)?.components).toEqual([before.find((c) => c.name === 'Messaging' && c.group_id === eu.id)!.id, api.id]);

    expect((await call('DELETE', '/api/v1/component-groups/eu')).statusCode).toBe(204);
    after = await v2();
    expect(after.some((c) => c.id === eu.id)).toBe(false);
    expect(after.find((c) => c.id === api.id)).toMatchObject({ group_id: null, name: 'Public API' });
  });

  it('names the field in its 400s and refuses to remove a component an open incident lists', async () => {
    const bad = [
      [{ name: 'x', group_id: 'nope' }, 'group_id'],
      [{ name: 'x', key: 'www' }, 'key'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x', key: 'Not A Key' }, 'key'],
      [{ name: 'x', position: 0 }, 'position'],
    ] as const;
    for (const [payload, field] of bad) {
      const response = await call('POST', '/api/v1/components', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().message, JSON.stringify(payload)).toContain(field);
    }
    expect((await call('PATCH', '/api/v1/components/www', { key: 'web' })).statusCode).toBe(400);
    expect((await call('DELETE', '/api/v1/components/nope')).statusCode).toBe(404);

    const incident = (await call('POST', '/api/v1/incidents', { name: 'Website down', body: 'Looking', components: { www: 'major_outage' } })).json();
    const refused = await call('DELETE', '/api/v1/components/www');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toContain(incident.id);
    await call('POST', `/api/v1/incidents/${incident.id}/updates`, { status: 'resolved', body: 'Fixed' });
    expect((await call('DELETE', '/api/v1/components/www')).statusCode).toBe(204);
    expect((await v2()).some((c) => c.name === 'Website')).toBe(false);
    // Taken off the page, not forgotten: the incident and the status history keep it.
    const history = await t.db.query("SELECT count(*)::int AS n FROM component_status_change c JOIN component k ON k.id = c.component_id WHERE k.key = 'www'");
    expect(history[0].n).toBeGreaterThan(1);
    expect((await call('POST', '/api/v1/components', { name: 'Website', key: 'www' })).statusCode).toBe(400);
  });

  it('audits every edit and keeps the structure when the file is synced again at the next start', async () => {
    const actions = (await t.db.query<{ action: string }>("SELECT DISTINCT action FROM audit_log WHERE action LIKE 'component%'")).map((r) => r.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'component_group.created',
        'component_group.edited',
        'component_group.archived',
        'component.created',
        'component.edited',
        'component.archived',
      ]),
    );
    const before = await v2();
    const result = await syncPageDefinition(t.app.serviceContext(labelledOperator('system:config')), CONSOLE_DEFINITION);
    expect(result).toMatchObject({ created: [], archived: [] });
    expect((await v2()).map((c) => c.id)).toEqual(before.map((c) => c.id));
  });
});
