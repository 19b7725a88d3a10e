// Components and component groups through the Statuspage door, as Terraform's Statuspage provider
// (yannh/statuspage-go-sdk) and other tools create, change and remove them: only on a page whose
// structure is managed in the console and API (page.components_from: console).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { UNLIMITED } from './rate-limit.ts';

const CONSOLE_MANAGED = validatePageDefinition({ page: { name: 'Acme Chat', url: 'https://www.acme.example', components_from: 'console' } });

const fixture = (name: string, replace: Record<string, string> = {}) =>
  JSON.parse(
    Object.entries(replace).reduce((text, [from, to]) => text.replaceAll(from, to), readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')),
  ) as object;

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const caller =
  (t: () => TestApp, token: () => string) =>
  (method: Method, url: string, options: { body?: object | string; token?: string; headers?: Record<string, string> } = {}) =>
    t().app.inject({ method, url, payload: options.body, headers: { authorization: `OAuth ${options.token ?? token()}`, ...options.headers } });

describe('on a console-managed page', () => {
  let t: TestApp;
  let writer: string;
  let pageId: string;
  const v1 = caller(
    () => t,
    () => writer,
  );

  beforeAll(async () => {
    t = await startTestApp({ definition: CONSOLE_MANAGED, env: UNLIMITED });
    writer = await t.token('components:write', 'incidents:write');
    pageId = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().page.id;
  });
  afterAll(() => t.close());

  const createComponent = async (component: Record<string, unknown>) => {
    const response = await v1('POST', `/v1/pages/${pageId}/components`, { body: { component } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; name: string; group_id: string | null; position: number; status: string };
  };

  it("creates components from the Terraform provider's body, 201 in the component shape", async () => {
    const response = await v1('POST', `/v1/pages/${pageId}/components`, { body: fixture('terraform-component-create.json') });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      name: 'Login',
      description: 'Sign-in and sessions',
      status: 'operational',
      only_show_if_degraded: false,
      group_id: null,
      group: false,
      page_id: pageId,
      position: 1,
      automation_email: null,
    });
    const second = await createComponent({ name: 'Search', status: 'degraded_performance' });
    expect(second).toMatchObject({ status: 'degraded_performance', position: 2 });
    const list = (await v1('GET', `/v1/pages/${pageId}/components`)).json();
    expect(list.map((c: { name: string }) => c.name)).toEqual(['Login', 'Search']);
    const audit = await t.db.query<{ action: string }>('SELECT action FROM audit_log WHERE target_id = $1', [second.id]);
    expect(audit.map((row) => row.action)).toEqual(['component.created']);
  });

  it('takes a Rails-style form body for a component', async () => {
    const form = new URLSearchParams({ 'component[name]': 'Form-made', 'component[status]': 'partial_outage', 'component[showcase]': 'true' });
    const response = await v1('POST', `/v1/pages/${pageId}/components.json`, {
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ name: 'Form-made', status: 'partial_outage' });
  });

  it("creates a group from the provider's body: the listed components move into it, in order", async () => {
    const api = await createComponent({ name: 'API' });
    const web = await createComponent({ name: 'Web' });
    const response = await v1('POST', `/v1/pages/${pageId}/component-groups`, {
      body: fixture('terraform-component-group-create.json', { COMPONENT_A: web.id, COMPONENT_B: api.id }),
    });
    expect(response.statusCode, response.body).toBe(201);
    const group = response.json();
    expect(group).toEqual({
      id: expect.any(String),
      page_id: pageId,
      name: 'Europe',
      description: 'Our EU region',
      components: [web.id, api.id],
      position: 1,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    // Positions count among siblings: the group's components 1..n, the group among the top level.
    const list = (await v1('GET', `/v1/pages/${pageId}/components`)).json();
    const byId = new Map<string, { position: number; group_id: string | null }>(list.map((c: { id: string }) => [c.id, c]));
    expect(byId.get(web.id)).toMatchObject({ group_id: group.id, position: 1 });
    expect(byId.get(api.id)).toMatchObject({ group_id: group.id, position: 2 });
    expect(byId.get(group.id)).toMatchObject({ position: 1 });
    expect(
      list.filter((c: { group_id: string | null; group: boolean }) => c.group_id === null && !c.group).map((c: { position: number }) => c.position),
    ).toEqual([2, 3, 4]);
    await t.settle();
    const v2 = (await t.app.inject({ method: 'GET', url: '/api/v2/components.json' })).json();
    expect(v2.components.find((c: { id: string }) => c.id === api.id)).toMatchObject({ position: 2, group_id: group.id });

    const groups = (await v1('GET', `/v1/pages/${pageId}/component-groups`)).json();
    expect(groups).toEqual([group]);
    expect((await v1('GET', `/v1/pages/${pageId}/component-groups/${group.id}.json`)).json()).toEqual(group);
  });

  it('edits a group with PATCH and PUT: name, description beside the wrapper, members', async () => {
    const groups = (await v1('GET', `/v1/pages/${pageId}/component-groups`)).json();
    const group = groups[0];
    const [first, second] = group.components;
    const patched = await v1('PATCH', `/v1/pages/${pageId}/component-groups/${group.id}`, {
      body: { description: 'EU (Frankfurt)', component_group: { name: 'EU', components: [second] } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'EU', description: 'EU (Frankfurt)', components: [second] });
    // The component left out is ungrouped now, last at the top level.
    const left = (await v1('GET', `/v1/pages/${pageId}/components/${first}`)).json();
    expect(left.group_id).toBeNull();
    const put = await v1('PUT', `/v1/pages/${pageId}/component-groups/${group.id}`, { body: { component_group: { components: [first, second] } } });
    expect(put.json()).toMatchObject({ name: 'EU', components: [first, second] });
  });

  it('refuses what the use-case refuses with 422 naming the field', async () => {
    const noName = await v1('POST', `/v1/pages/${pageId}/components`, { body: { component: { status: 'operational' } } });
    expect(noName.statusCode).toBe(422);
    expect(noName.json()).toEqual({ error: expect.stringMatching(/^name: /), message: expect.stringMatching(/^name: /) });
    const long = await v1('POST', `/v1/pages/${pageId}/components`, { body: { component: { name: 'x'.repeat(121) } } });
    expect(long.statusCode).toBe(422);
    expect(long.json().error).toMatch(/^name: must be at most 120 characters/);
    const nul = await v1('POST', `/v1/pages/${pageId}/components`, { body: { component: { name: 'a\u0000b' } } });
    expect([400, 422]).toContain(nul.statusCode);
    expect(nul.json().error).toMatch(/name/);
    const badStatus = await v1('POST', `/v1/pages/${pageId}/components`, { body: { component: { name: 'x', status: 'on_fire' } } });
    expect(badStatus.statusCode).toBe(422);
    expect(badStatus.json().error).toMatch(/^status: /);
    const unknownGroup = await v1('POST', `/v1/pages/${pageId}/components`, { body: { component: { name: 'x', group_id: 'nope' } } });
    expect(unknownGroup.statusCode).toBe(422);
    expect(unknownGroup.json().error).toMatch(/^group_id: /);
    const unknownMember = await v1('POST', `/v1/pages/${pageId}/component-groups`, { body: { component_group: { name: 'G', components: ['nope'] } } });
    expect(unknownMember.statusCode).toBe(422);
    expect(unknownMember.json().error).toMatch(/^components\.nope: /);
    // Nothing half-made: the refused group does not exist.
    expect((await v1('GET', `/v1/pages/${pageId}/component-groups`)).json().map((g: { name: string }) => g.name)).not.toContain('G');
    const unwrapped = await v1('POST', `/v1/pages/${pageId}/component-groups`, { body: { name: 'G' } });
    expect(unwrapped.statusCode).toBe(422);
    expect(unwrapped.json().error).toMatch(/^component_group: is required/);
  });

  it('asks for components:write, answers 404 for another page or an unknown id', async () => {
    const reader = await t.token('incidents:write');
    const refused = await v1('POST', `/v1/pages/${pageId}/components`, { body: { component: { name: 'Nope' } }, token: reader });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toContain('components:write');
    expect((await v1('POST', `/v1/pages/${pageId}/component-groups`, { body: { component_group: { name: 'Nope' } }, token: reader })).statusCode).toBe(403);
    expect((await v1('GET', `/v1/pages/${pageId}/component-groups`, { token: reader })).statusCode).toBe(200);
    expect((await v1('POST', '/v1/pages/another-page/components', { body: { component: { name: 'Nope' } } })).statusCode).toBe(404);
    expect((await v1('GET', '/v1/pages/another-page/component-groups')).statusCode).toBe(404);
    expect((await v1('GET', `/v1/pages/${pageId}/component-groups/nope`)).statusCode).toBe(404);
    expect((await v1('PATCH', `/v1/pages/${pageId}/component-groups/nope`, { body: { component_group: { name: 'x' } } })).statusCode).toBe(404);
    expect((await v1('DELETE', `/v1/pages/${pageId}/component-groups/nope`)).statusCode).toBe(404);
    expect((await v1('DELETE', `/v1/pages/${pageId}/components/nope`)).statusCode).toBe(404);
    expect((await v1('DELETE', `/v1/pages/${pageId}/components/nope`, { token: reader })).statusCode).toBe(403);
  });

  it('deletes a component (204) and a group (200, its components stay ungrouped); refuses a component an open incident lists', async () => {
    const doomed = await createComponent({ name: 'Doomed' });
    const held = await createComponent({ name: 'Held' });
    const incident = (
      await v1('POST', `/v1/pages/${pageId}/incidents`, { body: { incident: { name: 'Holding', body: 'b', components: { [held.id]: 'major_outage' } } } })
    ).json();
    const deleted = await v1('DELETE', `/v1/pages/${pageId}/components/${doomed.id}`);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect((await v1('GET', `/v1/pages/${pageId}/components/${doomed.id}`)).statusCode).toBe(404);
    const refused = await v1('DELETE', `/v1/pages/${pageId}/components/${held.id}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({ error: expect.stringContaining(incident.id), message: expect.stringContaining(incident.id) });

    const group = (await v1('GET', `/v1/pages/${pageId}/component-groups`)).json()[0];
    const removed = await v1('DELETE', `/v1/pages/${pageId}/component-groups/${group.id}`);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ id: group.id, components: group.components });
    expect((await v1('GET', `/v1/pages/${pageId}/component-groups`)).json()).toEqual([]);
    for (const id of group.components) expect((await v1('GET', `/v1/pages/${pageId}/components/${id}`)).json().group_id).toBeNull();
    const audit = await t.db.query<{ action: string }>('SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id', [group.id]);
    expect(audit.map((row) => row.action)).toEqual(['component_group.created', 'component_group.edited', 'component_group.edited', 'component_group.archived']);
  });
});

describe('on a page whose structure comes from its definition file', () => {
  let t: TestApp;
  let writer: string;
  let pageId: string;
  const v1 = caller(
    () => t,
    () => writer,
  );

  beforeAll(async () => {
    t = await startTestApp({ env: UNLIMITED });
    writer = await t.token('components:write');
    pageId = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().page.id;
  });
  afterAll(() => t.close());

  it('refuses every structure write with 409 and {error, message} saying where the structure comes from; reads work', async () => {
    const usApi = await t.componentId('us-api');
    const groups = (await v1('GET', `/v1/pages/${pageId}/component-groups`)).json();
    expect(groups.map((g: { name: string; position: number }) => [g.name, g.position])).toEqual([
      ['United States', 1],
      ['Europe', 2],
    ]);
    const writes: [Method, string, object | undefined][] = [
      ['POST', `/v1/pages/${pageId}/components`, { component: { name: 'New' } }],
      ['DELETE', `/v1/pages/${pageId}/components/${usApi}`, undefined],
      ['POST', `/v1/pages/${pageId}/component-groups`, { component_group: { name: 'New' } }],
      ['PATCH', `/v1/pages/${pageId}/component-groups/${groups[0].id}`, { component_group: { name: 'Renamed' } }],
      ['DELETE', `/v1/pages/${pageId}/component-groups/${groups[0].id}`, undefined],
    ];
    for (const [method, url, body] of writes) {
      const response = await v1(method, url, { body });
      expect(response.statusCode, `${method} ${url}`).toBe(409);
      expect(response.json()).toEqual({ error: expect.stringMatching(/components_from/), message: expect.stringMatching(/components_from/) });
    }
  });

  it("v2 and v1 count position among siblings (fix 5), keeping Lifeline's extra keys", async () => {
    await t.settle();
    const v2 = (await t.app.inject({ method: 'GET', url: '/api/v2/components.json' })).json().components as {
      name: string;
      group: boolean;
      group_id: string | null;
      position: number;
      components?: string[];
    }[];
    const groups = v2.filter((c) => c.group);
    expect(groups.map((g) => [g.name, g.position])).toEqual([
      ['United States', 1],
      ['Europe', 2],
    ]);
    for (const group of groups) {
      const members = v2.filter((c) => group.components?.includes(String((c as unknown as { id: string }).id)));
      expect(members.map((c) => c.position)).toEqual([1, 2]);
    }
    expect(v2.find((c) => c.name === 'Website')).toMatchObject({ position: 3, group_id: null });
    const v1List = (await v1('GET', `/v1/pages/${pageId}/components`)).json();
    expect(v1List.map((c: { position: number }) => c.position)).toEqual(v2.map((c) => c.position));
    const one = (await v1('GET', `/v1/pages/${pageId}/components/${await t.componentId('eu-api')}`)).json();
    expect(one.position).toBe(2);
  });
});
