/**
 * The page-structure and component-status use-cases own their contracts: each API route declares
 * the use-case's schema as its body (the OpenAPI document shows exactly that schema), and a door
 * that calls the use-case directly (the console, a job) is refused with the same words as the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TSchema } from 'typebox';
import { validatePageDefinition } from '../../src/config.ts';
import { operatorActor } from '../../src/domain/actor.ts';
import { ValidationError } from '../../src/domain/errors.ts';
import { createComponent, CreateComponentInput } from '../../src/services/components/create-component.ts';
import { createComponentGroup, CreateComponentGroupInput } from '../../src/services/components/create-component-group.ts';
import { editComponent, EditComponentInput } from '../../src/services/components/edit-component.ts';
import { setComponentStatus } from '../../src/services/components/set-component-status.ts';
import { updateComponent, UpdateComponentInput } from '../../src/services/components/update-component.ts';
import { updateComponentGroup, UpdateComponentGroupInput } from '../../src/services/components/update-component-group.ts';
import { KEY_MAX } from '../../src/domain/validation.ts';
import { limitsOf } from '../../src/services/shared/fields.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { consoleClient } from '../helpers/console-client.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A contract as @fastify/swagger writes it into the OpenAPI 3.0 document: JSON only (TypeBox's
 * symbols dropped), and `anyOf: [X, null]` written as X with `nullable: true`.
 */
function asOpenApi(schema: TSchema): Json {
  const convert = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(convert);
    if (node === null || typeof node !== 'object') return node;
    const { anyOf, ...rest } = node;
    if (Array.isArray(anyOf) && anyOf.length === 2) {
      const other = anyOf.find((branch) => !(typeof branch === 'object' && branch !== null && !Array.isArray(branch) && branch.type === 'null'));
      if (other !== undefined && anyOf.some((branch) => branch !== other)) return convert({ ...rest, ...(other as Record<string, Json>), nullable: true });
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, convert(value)]));
  };
  return convert(JSON.parse(JSON.stringify(schema)) as Json);
}

const ROUTES: [method: string, path: string, contract: TSchema][] = [
  ['post', '/api/v1/components', CreateComponentInput],
  ['patch', '/api/v1/components/{id}', EditComponentInput],
  ['post', '/api/v1/component-groups', CreateComponentGroupInput],
  ['patch', '/api/v1/component-groups/{id}', UpdateComponentGroupInput],
];

let t: TestApp;
let writer: string;
beforeAll(async () => {
  t = await startTestApp({ definition: validatePageDefinition({ page: { name: 'Acme Chat', components_from: 'console' } }) });
  writer = await t.token('components:write');
});
afterAll(() => t.close());

describe('each structure route declares its use-case contract as its body', () => {
  it.each(ROUTES)('%s %s', async (method, path, contract) => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const body = doc.paths[path][method].requestBody.content['application/json'].schema;
    expect(body).toEqual(asOpenApi(contract));
  });
});

describe('a direct use-case call is refused with the words of the API', () => {
  const ctx = () => t.app.serviceContext(operatorActor('contract-test'));
  const api = async (method: 'POST' | 'PATCH', url: string, payload: unknown) => {
    const response = await t.app.inject({ method, url, payload: payload as Record<string, unknown>, headers: { authorization: `Bearer ${writer}` } });
    expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    const { field, message } = response.json() as { field: string; message: string };
    return { field, message };
  };
  const direct = async (call: () => Promise<unknown>) => {
    const error: unknown = await call().then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ValidationError);
    const { field, message } = error as ValidationError;
    return { field, message };
  };

  let componentId = '';
  let groupId = '';
  beforeAll(async () => {
    groupId = (await createComponentGroup(ctx(), { name: 'Europe' })).id;
    componentId = (await createComponent(ctx(), { name: 'Messaging', group_id: groupId })).id;
  });

  const CREATE: [what: string, input: Record<string, unknown>][] = [
    ['a missing name', {}],
    ['an empty name', { name: '' }],
    ['a name of spaces', { name: '   ' }],
    ['a long name', { name: 'x'.repeat(121) }],
    ['a long description', { name: 'x', description: 'd'.repeat(501) }],
    ['a key that is no key', { name: 'x', key: 'Not A Key' }],
    ['an unknown status', { name: 'x', status: 'broken' }],
    ['a place before the first', { name: 'x', position: 0 }],
    ['a fractional place', { name: 'x', position: 1.5 }],
    ['a group that does not exist', { name: 'x', group_id: 'nope' }],
    ['a group id that is too long', { name: 'x', group_id: 'g'.repeat(65) }],
    ['a field it does not know', { name: 'x', colour: 'red' }],
    ['text as a flag', { name: 'x', only_show_if_degraded: 'on' }],
  ];
  it.each(CREATE)('createComponent: %s', async (_what, input) => {
    expect(await direct(() => createComponent(ctx(), structuredClone(input)))).toEqual(await api('POST', '/api/v1/components', input));
  });

  const EDIT: [what: string, input: Record<string, unknown>][] = [
    ['nothing to do', {}],
    ['a key, which never changes', { key: 'web' }],
    ['an unknown status', { status: 'broken' }],
    ['a long name', { name: 'x'.repeat(121) }],
    ['a place before the first', { position: 0 }],
  ];
  it.each(EDIT)('editComponent: %s', async (_what, input) => {
    expect(await direct(() => editComponent(ctx(), componentId, structuredClone(input)))).toEqual(
      await api('PATCH', `/api/v1/components/${componentId}`, input),
    );
  });

  it('updateComponent and setComponentStatus use the same field rules as the PATCH', async () => {
    expect(await direct(() => updateComponent(ctx(), componentId, { description: 'd'.repeat(501) }))).toEqual(
      await api('PATCH', `/api/v1/components/${componentId}`, { description: 'd'.repeat(501) }),
    );
    expect(await direct(() => setComponentStatus(ctx(), componentId, { status: 'broken' }))).toEqual(
      await api('PATCH', `/api/v1/components/${componentId}`, { status: 'broken' }),
    );
  });

  const GROUP: [what: string, input: Record<string, unknown>][] = [
    ['a missing name', {}],
    ['a name of spaces', { name: ' ' }],
    ['a long description', { name: 'x', description: 'd'.repeat(501) }],
    ['a key that is no key', { name: 'x', key: '-x' }],
    ['a fractional place', { name: 'x', position: 2.5 }],
  ];
  it.each(GROUP)('createComponentGroup: %s', async (_what, input) => {
    expect(await direct(() => createComponentGroup(ctx(), structuredClone(input)))).toEqual(await api('POST', '/api/v1/component-groups', input));
  });

  it.each([[{}], [{ name: '' }], [{ key: 'eu' }], [{ position: -1 }]])('updateComponentGroup: %j', async (input) => {
    expect(await direct(() => updateComponentGroup(ctx(), groupId, structuredClone(input)))).toEqual(
      await api('PATCH', `/api/v1/component-groups/${groupId}`, input),
    );
  });
});

describe("the console structure forms carry the contracts' limits", () => {
  /** `{form field: maxlength}` of the inputs whose id starts with `prefix`. */
  const maxlengths = (html: string, prefix: string) =>
    Object.fromEntries([...html.matchAll(new RegExp(`id="${prefix}-[\\w-]+" name="(\\w+)"[^>]*maxlength="(\\d+)"`, 'g'))].map((m) => [m[1], Number(m[2])]));

  /** Every maxlength shown is the contract's limit for that field (selects and checkboxes have none). */
  const fromContract = (shown: Record<string, number>, limits: Readonly<Record<string, number>>) =>
    expect(shown).toEqual(Object.fromEntries(Object.keys(shown).map((name) => [name, limits[name]])));

  it('add a component, add a group, edit either', async () => {
    const client = consoleClient(t);
    await client.account('admin@acme.example', 'admin');
    const admin = await client.signIn('admin@acme.example');
    const list = (await client.get('/console/components', admin)).body;
    fromContract(maxlengths(list, 'c'), { ...limitsOf(CreateComponentInput), key: KEY_MAX });
    fromContract(maxlengths(list, 'g'), limitsOf(CreateComponentGroupInput));
    expect(maxlengths(list, 'c')).toEqual({ name: 120, description: 500, key: 63 });
    expect(maxlengths(list, 'g')).toEqual({ name: 120, description: 500 });
    const [component] = await t.db.query<{ id: string }>('SELECT id FROM component LIMIT 1');
    const [group] = await t.db.query<{ id: string }>('SELECT id FROM component_group LIMIT 1');
    const componentEditor = maxlengths((await client.get(`/console/components/${component.id}/edit`, admin)).body, 'e');
    fromContract(componentEditor, limitsOf(UpdateComponentInput));
    expect(Object.keys(componentEditor)).toEqual(['name', 'description']);
    const groupEditor = maxlengths((await client.get(`/console/component-groups/${group.id}`, admin)).body, 'e');
    fromContract(groupEditor, limitsOf(UpdateComponentGroupInput));
    expect(Object.keys(groupEditor)).toEqual(['name', 'description']);
  });
});
