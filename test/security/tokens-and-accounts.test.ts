import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capabilitiesOfScopes } from '../../src/domain/capabilities.ts';
import { ForbiddenError } from '../../src/domain/errors.ts';
import { OPERATOR_HEADER } from '../../src/plugins/auth.ts';
import { changeUserRole } from '../../src/services/access/change-user-role.ts';
import { createApiToken } from '../../src/services/access/create-api-token.ts';
import { OPERATOR_GRANTOR } from '../../src/services/access/grantor.ts';
import { createUser } from '../../src/services/access/create-user.ts';
import { disableUser } from '../../src/services/access/disable-user.ts';
import { findUserByEmail } from '../../src/storage/user-repository.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/** Attacks on API tokens and accounts by a client holding less than it asks for; each must be refused. */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const api = (method: 'GET' | 'POST' | 'DELETE', url: string, token: string | null, payload?: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({
    method,
    url,
    ...(payload === undefined ? {} : { payload: payload as object }),
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
/** lfl_ and the 8 characters listings show (which may themselves contain `_`). */
const prefixOf = (token: string) => token.slice(0, 12);
const asOperator = (method: 'POST' | 'DELETE', url: string, payload?: unknown) => api(method, url, null, payload, { [OPERATOR_HEADER]: t.app.operatorSecret });

describe('granting token scopes', () => {
  it('refuses a tokens:write token that asks for an admin token, or for any scope it does not hold, with 403 naming the scope', async () => {
    const tokenManager = await t.token('tokens:write');
    const escalate = await api('POST', '/api/v1/tokens', tokenManager, { name: 'escalated', scopes: ['admin'] });
    expect(escalate.statusCode, escalate.body).toBe(403);
    expect(escalate.json()).toMatchObject({ error: 'forbidden' });
    expect(escalate.json().message).toContain('admin');
    const sideways = await api('POST', '/api/v1/tokens', tokenManager, { name: 'sideways', scopes: ['tokens:write', 'incidents:write'] });
    expect(sideways.statusCode, sideways.body).toBe(403);
    expect(sideways.json().message).toContain('incidents:write');
    const rows = await t.db.query("SELECT 1 FROM api_token WHERE name IN ('escalated', 'sideways')");
    expect(rows).toHaveLength(0);
  });

  it('lets a caller grant the scopes it holds; admin tokens and the local operator may grant admin', async () => {
    const writer = await t.token('tokens:write', 'incidents:write');
    const same = await api('POST', '/api/v1/tokens', writer, { name: 'ci-incidents', scopes: ['incidents:write'] });
    expect(same.statusCode, same.body).toBe(201);
    const admin = await t.token('admin');
    const byAdmin = await api('POST', '/api/v1/tokens', admin, { name: 'second-admin', scopes: ['admin'] });
    expect(byAdmin.statusCode, byAdmin.body).toBe(201);
    const byOperator = await asOperator('POST', '/api/v1/tokens', { name: 'operator-admin', scopes: ['admin', 'heartbeats:write'] });
    expect(byOperator.statusCode, byOperator.body).toBe(201);
  });

  it('enforces the rule in the use-case, so every door (API, console, CLI) agrees', async () => {
    const ctx = t.app.serviceContext(labelledOperator('test'));
    await expect(createApiToken(ctx, { name: 'x', scopes: ['admin'] }, { capabilities: capabilitiesOfScopes(['tokens:write']) })).rejects.toThrow(
      ForbiddenError,
    );
    await expect(createApiToken(ctx, { name: 'x', scopes: ['admin'] }, { capabilities: new Set() })).rejects.toThrow(/admin/);
    await expect(createApiToken(ctx, { name: 'y', scopes: ['admin'] }, OPERATOR_GRANTOR)).resolves.toMatchObject({ record: { scopes: ['admin'] } });
  });
});

describe('revoking tokens', () => {
  it('refuses a non-admin token that revokes a token holding scopes it lacks (an admin token, or another scope), with 403', async () => {
    const tokenManager = await t.token('tokens:write');
    const adminToken = await t.token('admin');
    const adminPrefix = prefixOf(adminToken);
    const byPrefix = await api('DELETE', `/api/v1/tokens/${adminPrefix}`, tokenManager);
    expect(byPrefix.statusCode, byPrefix.body).toBe(403);
    expect(byPrefix.json().message).toContain('admin');
    const adminId = (await t.db.query<{ id: string }>('SELECT id FROM api_token WHERE prefix = $1', [adminPrefix]))[0].id;
    expect((await api('DELETE', `/api/v1/tokens/${adminId}`, tokenManager)).statusCode).toBe(403);
    // Still working:
    expect((await api('GET', '/api/v1/users', adminToken)).statusCode).toBe(200);

    const incidentsToken = await t.token('incidents:write');
    const other = await api('DELETE', `/api/v1/tokens/${prefixOf(incidentsToken)}`, tokenManager);
    expect(other.statusCode, other.body).toBe(403);
    expect(other.json().message).toContain('incidents:write');
  });

  it('lets a tokens:write token revoke tokens within its scopes, and an admin revoke any token', async () => {
    const tokenManager = await t.token('tokens:write');
    const peer = await t.token('tokens:write');
    expect((await api('DELETE', `/api/v1/tokens/${prefixOf(peer)}`, tokenManager)).statusCode).toBe(200);
    const admin = await t.token('admin');
    const otherAdmin = await t.token('admin');
    expect((await api('DELETE', `/api/v1/tokens/${prefixOf(otherAdmin)}`, admin)).statusCode).toBe(200);
  });
});

describe('the last admin account', () => {
  const ctx = () => t.app.serviceContext(labelledOperator('test'));
  const disableAllAdmins = async () => {
    await t.db.query("UPDATE responder_user SET disabled_at = now() WHERE role = 'admin' AND disabled_at IS NULL");
  };

  it('refuses to disable the last enabled admin through the API with 409; another admin can be disabled', async () => {
    await disableAllAdmins();
    const admin = await t.token('admin');
    await createUser(ctx(), { email: 'only-admin@example.com', role: 'admin' });
    const last = await api('POST', '/api/v1/users/only-admin@example.com/disable', admin);
    expect(last.statusCode, last.body).toBe(409);
    expect(last.json()).toMatchObject({ error: 'conflict' });
    expect(last.json().message).toMatch(/only .*admin/);
    expect((await findUserByEmail(t.db, 'only-admin@example.com'))?.disabled_at).toBeNull();

    await createUser(ctx(), { email: 'second-admin@example.com', role: 'admin' });
    expect((await api('POST', '/api/v1/users/only-admin@example.com/disable', admin)).statusCode).toBe(200);
    expect((await api('POST', '/api/v1/users/second-admin@example.com/disable', admin)).statusCode).toBe(409);
    // A non-admin account is disabled as before.
    await createUser(ctx(), { email: 'plain-responder@example.com', role: 'responder' });
    expect((await api('POST', '/api/v1/users/plain-responder@example.com/disable', admin)).statusCode).toBe(200);
  });

  it('refuses to demote the last enabled admin (any door: the use-case)', async () => {
    await disableAllAdmins();
    const { user } = await createUser(ctx(), { email: 'lone-admin@example.com', role: 'admin' });
    await expect(changeUserRole(ctx(), user.id, { role: 'viewer' })).rejects.toThrow(/only admin/);
  });

  it('lets exactly one of two concurrent disables or demotions of the last two admins through', async () => {
    for (const [round, [first, second]] of (
      [
        ['disable', 'disable'],
        ['demote', 'demote'],
        ['disable', 'demote'],
      ] as const
    ).entries()) {
      await disableAllAdmins();
      const a = (await createUser(ctx(), { email: `race-a${round}@example.com`, role: 'admin' })).user;
      const b = (await createUser(ctx(), { email: `race-b${round}@example.com`, role: 'admin' })).user;
      const act = (kind: 'disable' | 'demote', id: string) => (kind === 'disable' ? disableUser(ctx(), id) : changeUserRole(ctx(), id, { role: 'responder' }));
      const outcomes = await Promise.allSettled([act(first, a.id), act(second, b.id)]);
      expect(outcomes.map((o) => o.status).sort(), `${first} + ${second}`).toEqual(['fulfilled', 'rejected']);
      const enabledAdmins = await t.db.query("SELECT id FROM responder_user WHERE role = 'admin' AND disabled_at IS NULL");
      expect(enabledAdmins).toHaveLength(1);
    }
  });
});

describe('authentication before validation on /api/v1', () => {
  const invalidIncident = { name: '', unknown_field: true };

  it('answers 401 (not a 400 describing the schema) to a stranger with no token or a bad token and an invalid body', async () => {
    const none = await api('POST', '/api/v1/incidents', null, invalidIncident);
    expect(none.statusCode, none.body).toBe(401);
    expect(none.body).not.toMatch(/unknown_field|name/);
    const bad = await api('POST', '/api/v1/incidents', 'lfl_forged_token', invalidIncident);
    expect(bad.statusCode, bad.body).toBe(401);
    const malformed = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', payload: '{not json', headers: { 'content-type': 'application/json' } });
    expect(malformed.statusCode, malformed.body).toBe(401);
    const badParams = await api('DELETE', `/api/v1/tokens/${'x'.repeat(100)}`, null);
    expect(badParams.statusCode, badParams.body).toBe(401);
  });

  it('answers 403 to a token lacking the scope, whatever its body', async () => {
    const heartbeats = await t.token('heartbeats:write');
    const response = await api('POST', '/api/v1/incidents', heartbeats, invalidIncident);
    expect(response.statusCode, response.body).toBe(403);
    expect(response.json().message).toContain('incidents:write');
    const tokens = await api('POST', '/api/v1/tokens', heartbeats, { scopes: 'admin' });
    expect(tokens.statusCode, tokens.body).toBe(403);
  });

  it('still validates the body of an authorised request (400)', async () => {
    const writer = await t.token('incidents:write');
    const response = await api('POST', '/api/v1/incidents', writer, invalidIncident);
    expect(response.statusCode, response.body).toBe(400);
  });
});
