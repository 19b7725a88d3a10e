import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TObject, TSchema } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { tokenRoutes } from '../../src/routes/api/tokens.ts';
import { userRoutes } from '../../src/routes/api/users.ts';
import { createApiToken, CreateApiTokenInput } from '../../src/services/access/create-api-token.ts';
import { changeUserRole, ChangeUserRoleInput } from '../../src/services/access/change-user-role.ts';
import { createUser, CreateUserInput } from '../../src/services/access/create-user.ts';
import { RequestSignInLinkInput } from '../../src/services/access/request-sign-in-link.ts';
import { SetPasswordInput } from '../../src/services/access/set-password.ts';
import { signInWithPassword, SignInWithPasswordInput } from '../../src/services/access/sign-in-with-password.ts';
import { OPERATOR_GRANTOR } from '../../src/services/access/grantor.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { encodeForm } from '../helpers/console-client.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/**
 * Tokens, accounts and sign-in: each use-case owns its input contract, and the API states no rule
 * of its own. The route's body schema is the use-case's schema object, the published OpenAPI
 * document shows exactly it, and a direct call with bad input is refused with the API's words.
 */
const ROUTES: { method: string; url: string; plugin: (app: FastifyInstance) => Promise<void>; contract: TSchema }[] = [
  { method: 'POST', url: '/api/v1/tokens', plugin: tokenRoutes, contract: CreateApiTokenInput },
  { method: 'POST', url: '/api/v1/users', plugin: userRoutes, contract: CreateUserInput },
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
  const error: unknown = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { field: 'field' in error ? String(error.field) : undefined, message: error.message };
}

describe("access contracts: the routes declare the use-cases' schemas", () => {
  it.each(ROUTES.map((r) => [`${r.method} ${r.url}`, r] as const))("%s declares the use-case's contract object as its body", async (key, route) => {
    expect((await declaredBodies()).get(key)).toBe(route.contract);
  });
});

/**
 * The console forms post the contracts' fields, so a form maps its text to the use-case's input
 * and nothing else: the named inputs of each form (besides the CSRF token, the form id and the
 * button) are the contract's properties.
 */
const FORMS: [view: string, action: string, contract: TObject][] = [
  ['tokens', '/console/tokens', CreateApiTokenInput],
  ['users', '/console/users', CreateUserInput],
  ['users', '/console/users/{{id}}/role', ChangeUserRoleInput],
  ['account', '/console/account/password', SetPasswordInput],
  ['sign-in', '/console/sign-in', SignInWithPasswordInput],
  ['sign-in', '/console/sign-in/link', RequestSignInLinkInput],
];
/** Not input to the use-case: the session's CSRF token, the retry-safe form id, the button, the page to return to, the password manager's hint. */
const FORM_PLUMBING = new Set(['_csrf', 'form_id', 'intent', 'next', 'username']);

describe("access contracts: the console forms send the contracts' fields", () => {
  it.each(FORMS)('views/console/%s.hbs, the form posting to %s', (view, action, contract) => {
    const template = readFileSync(new URL(`../../views/console/${view}.hbs`, import.meta.url), 'utf8');
    const start = template.indexOf(`action="${action}"`);
    expect(start, `no form posts to ${action}`).toBeGreaterThan(-1);
    const form = template.slice(start, template.indexOf('</form>', start));
    const names = new Set([...form.matchAll(/\bname="([^"]+)"/g)].map((m) => m[1]).filter((name) => !FORM_PLUMBING.has(name)));
    expect([...names].sort()).toEqual(Object.keys(contract.properties).sort());
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

  it.each(ROUTES.map((r) => [`${r.method} ${r.url}`, r] as const))("/api/v1/openapi.json shows %s's body as the contract", async (_key, route) => {
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
  ])("createApiToken refuses %s with the API's words", async (_case, input) => {
    const direct = await refusal(createApiToken(t.app.serviceContext(labelledOperator('test')), structuredClone(input), OPERATOR_GRANTOR));
    expect(direct).toEqual(await api('POST', '/api/v1/tokens', input));
  });

  it.each([
    ['an empty address', { email: '', role: 'viewer' }],
    ['an address over 254 characters', { email: `${'a'.repeat(250)}@example.com`, role: 'viewer' }],
    ['something that is not an address', { email: 'not-an-address', role: 'viewer' }],
    ['an unknown role', { email: 'new@example.com', role: 'owner' }],
    ['a name over 120 characters', { email: 'new@example.com', role: 'viewer', name: 'n'.repeat(121) }],
    ['a name of invisible characters', { email: 'new@example.com', role: 'viewer', name: '\u200b\u200b' }],
    ['a null name', { email: 'new@example.com', role: 'viewer', name: null }],
    ['a missing role', { email: 'new@example.com' }],
  ])("createUser refuses %s with the API's words", async (_case, input) => {
    const direct = await refusal(createUser(t.app.serviceContext(labelledOperator('test')), structuredClone(input)));
    expect(direct).toEqual(await api('POST', '/api/v1/users', input));
  });

  it('changeUserRole (the console only) refuses an unknown role with the same words as POST /api/v1/users', async () => {
    const { user } = await createUser(t.app.serviceContext(labelledOperator('test')), { email: 'role-change@example.com', role: 'viewer' });
    const direct = await refusal(changeUserRole(t.app.serviceContext(labelledOperator('test')), user.id, { role: 'owner' }));
    expect(direct).toEqual(await api('POST', '/api/v1/users', { email: 'role-change-2@example.com', role: 'owner' }));
  });

  it('signInWithPassword refuses what no account can have (the console answers it like a wrong password)', async () => {
    const ctx = t.app.serviceContext(labelledOperator('test'));
    await expect(refusal(signInWithPassword(ctx, { email: `${'a'.repeat(250)}@example.com`, password: 'a long passphrase' }, null))).resolves.toEqual({
      field: 'email',
      message: 'email: must be at most 254 characters',
    });
    await expect(refusal(signInWithPassword(ctx, { email: 'ana@example.com', password: 'p'.repeat(1025) }, null))).resolves.toEqual({
      field: 'password',
      message: 'password: must be at most 1024 characters',
    });
  });

  it('the console answers a sign-in past those limits exactly like a wrong password (401, same page)', async () => {
    const signIn = (fields: Record<string, string>, ip: string) =>
      t.app.inject({
        method: 'POST',
        url: '/console/sign-in',
        payload: encodeForm(fields),
        remoteAddress: ip,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    const wrong = await signIn({ email: 'nobody@example.com', password: 'a long passphrase' }, '198.51.100.1');
    const tooLong = await signIn({ email: 'nobody@example.com', password: 'p'.repeat(1025) }, '198.51.100.2');
    const longAddress = await signIn({ email: `${'a'.repeat(250)}@example.com`, password: 'a long passphrase' }, '198.51.100.3');
    const page = (body: string) => body.replace(/nonce-[^']+'|nonce="[^"]+"/g, 'NONCE').replace(/value="[^"]*@example\.com"/g, 'value="EMAIL"');
    expect(wrong.statusCode).toBe(401);
    expect(tooLong.statusCode).toBe(401);
    expect(longAddress.statusCode).toBe(401);
    expect(page(tooLong.body)).toBe(page(wrong.body));
    expect(page(longAddress.body)).toBe(page(wrong.body));
  });
});
