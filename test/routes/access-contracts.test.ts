import Fastify, { type FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { tokenRoutes } from '../../src/routes/api/tokens.ts';
import { createApiToken, CreateApiTokenInput } from '../../src/services/access/create-api-token.ts';
import { OPERATOR_GRANTOR } from '../../src/services/access/grantor.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Tokens, accounts and sign-in: each use-case owns its input contract, and the API states no rule
 * of its own. The route's body schema is the use-case's schema object, the published OpenAPI
 * document shows exactly it, and a direct call with bad input is refused with the API's words.
 */
const ROUTES: { method: string; url: string; plugin: (app: FastifyInstance) => Promise<void>; contract: TSchema }[] = [
  { method: 'POST', url: '/api/v1/tokens', plugin: tokenRoutes, contract: CreateApiTokenInput },
];

/** The body schema each route declares, read as Fastify registers it (the guards are stubbed: only the schemas matter). */
async function declaredBodies(): Promise<Map<string, unknown>> {
  const bodies = new Map<string, unknown>();
  const app = Fastify();
  app.decorate('requireCapability', () => async () => {});
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) bodies.set(`${method} ${route.url}`, route.schema?.body);
  });
  for (const plugin of new Set(ROUTES.map((r) => r.plugin))) await app.register(plugin);
  await app.ready();
  await app.close();
  return bodies;
}

/** What a thrown DomainError looks like on the wire, to compare a direct call with an API answer. */
async function refusal(call: Promise<unknown>): Promise<{ field?: string; message: string }> {
  const error: unknown = await call.then(() => null, (e: unknown) => e);
  if (!(error instanceof DomainError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { field: 'field' in error ? String(error.field) : undefined, message: error.message };
}

describe('access contracts: the routes declare the use-cases\' schemas', () => {
  it.each(ROUTES.map((r) => [`${r.method} ${r.url}`, r] as const))('%s declares the use-case\'s contract object as its body', async (key, route) => {
    expect((await declaredBodies()).get(key)).toBe(route.contract);
  });
});

describe('access contracts: the published API and direct calls agree', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.token('admin');
  });
  afterAll(() => t?.close());

  const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

  it.each(ROUTES.map((r) => [`${r.method} ${r.url}`, r] as const))('/api/v1/openapi.json shows %s\'s body as the contract', async (_key, route) => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const published: unknown = doc.paths[openApiPath(route.url)][route.method.toLowerCase()].requestBody.content['application/json'].schema;
    expect(published).toEqual(JSON.parse(JSON.stringify(route.contract)));
  });

  const api = async (method: 'POST', url: string, payload: unknown) => {
    const response = await t.app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${admin}` } });
    expect(response.statusCode, response.body).toBe(400);
    const { field, message } = response.json() as { field?: string; message: string };
    return { field, message };
  };

  it.each([
    ['an empty name', { name: '', scopes: ['incidents:write'] }],
    ['a name over 100 characters', { name: 'n'.repeat(101), scopes: ['incidents:write'] }],
    ['no scopes', { name: 'ci', scopes: [] }],
    ['an unknown scope', { name: 'ci', scopes: ['root'] }],
    ['a missing field', { name: 'ci' }],
    ['an unknown field', { name: 'ci', scopes: ['admin'], expires: 'never' }],
  ])('createApiToken refuses %s with the API\'s words', async (_case, input) => {
    const direct = await refusal(createApiToken(t.app.serviceContext('test'), structuredClone(input), OPERATOR_GRANTOR));
    expect(direct).toEqual(await api('POST', '/api/v1/tokens', input));
  });
});
