import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTORS, userActor, visitorActor, type Actor } from '../../src/domain/actor.ts';
import { ForbiddenError } from '../../src/domain/errors.ts';
import { OPERATOR_HEADER } from '../../src/plugins/auth.ts';
import { advanceMaintenance } from '../../src/services/maintenances/advance-maintenance.ts';
import { cancelMaintenance } from '../../src/services/maintenances/cancel-maintenance.ts';
import { changeUserRole } from '../../src/services/access/change-user-role.ts';
import { convertHeartbeatNotice } from '../../src/services/incidents/convert-heartbeat-notice.ts';
import { dismissHeartbeatNotice } from '../../src/services/incidents/dismiss-heartbeat-notice.ts';
import { declareIncident } from '../../src/services/incidents/declare-incident.ts';
import { deleteIncident } from '../../src/services/incidents/delete-incident.ts';
import { disableWebhookEndpoint } from '../../src/services/subscribers/disable-webhook-endpoint.ts';
import { ingestHeartbeats } from '../../src/services/heartbeats/ingest-heartbeats.ts';
import { importHeartbeatHistory } from '../../src/services/heartbeats/import-heartbeat-history.ts';
import { SCOPES, type Scope } from '../../src/domain/capabilities.ts';
import { createApiToken } from '../../src/services/access/create-api-token.ts';
import { OPERATOR_GRANTOR } from '../../src/services/access/grantor.ts';
import { revokeApiToken } from '../../src/services/access/revoke-api-token.ts';
import { listApiTokens } from '../../src/queries/api-tokens.ts';
import { archiveComponent } from '../../src/services/components/archive-component.ts';
import { archiveComponentGroup } from '../../src/services/components/archive-component-group.ts';
import { createComponent } from '../../src/services/components/create-component.ts';
import { createComponentGroup } from '../../src/services/components/create-component-group.ts';
import { editComponent } from '../../src/services/components/edit-component.ts';
import { updateComponent } from '../../src/services/components/update-component.ts';
import { updateComponentGroup } from '../../src/services/components/update-component-group.ts';
import { importEmailSubscribers } from '../../src/services/subscribers/import-email-subscribers.ts';
import { importStatuspageBatch } from '../../src/services/imports/import-statuspage-batch.ts';
import { reactivateSubscriber } from '../../src/services/subscribers/reactivate-subscriber.ts';
import { registerWebhook } from '../../src/services/subscribers/register-webhook.ts';
import { registerChatChannel } from '../../src/services/subscribers/register-chat-channel.ts';
import { sendMaintenanceReminders } from '../../src/services/maintenances/send-maintenance-reminders.ts';
import { subscribeByEmail } from '../../src/services/subscribers/subscribe-by-email.ts';
import { unsubscribe } from '../../src/services/subscribers/unsubscribe.ts';
import { createTemplate } from '../../src/services/templates/create-template.ts';
import { deleteTemplate } from '../../src/services/templates/delete-template.ts';
import { updateTemplate } from '../../src/services/templates/update-template.ts';
import { createUser } from '../../src/services/access/create-user.ts';
import { disableUser } from '../../src/services/access/disable-user.ts';
import { postIncidentUpdate } from '../../src/services/incidents/post-incident-update.ts';
import { replayDeadLetters } from '../../src/services/notifications/replay-dead-deliveries.ts';
import { scheduleMaintenance } from '../../src/services/maintenances/schedule-maintenance.ts';
import { setComponentStatus } from '../../src/services/components/set-component-status.ts';
import type { UserRole } from '../../src/domain/roles.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { CONSOLE_PASSWORD, consoleClient, encodeForm, type ConsoleSession } from '../helpers/console-client.ts';

/**
 * Who may knock on which door: every guarded route × every kind of caller, generated from the
 * tables below. The tables write down today's access (issue 11, plan §2.10); a change of access
 * must change a line here, visibly.
 *
 * Only the guard is under test: "allowed" means the caller got past it (neither 401 nor 403, and
 * not sent to the sign-in page); what the handler then answers (400 for an empty body, 404 for an
 * unknown id) does not matter here.
 */

const ID = 'no-such-id';
const SESSION_ID = '0'.repeat(64);

/** API routes and the scope each needs (`null`: any valid token). */
const API_ROUTES: [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, scope: Scope | null][] = [
  ['GET', '/api/v1/incidents', null],
  ['GET', `/api/v1/incidents/${ID}`, null],
  ['POST', '/api/v1/incidents', 'incidents:write'],
  ['POST', `/api/v1/incidents/${ID}/updates`, 'incidents:write'],
  ['POST', `/api/v1/incidents/${ID}/dismiss`, 'incidents:write'],
  ['POST', `/api/v1/incidents/${ID}/convert`, 'incidents:write'],
  ['DELETE', `/api/v1/incidents/${ID}`, 'incidents:write'],
  ['GET', `/api/v1/incidents/${ID}/deliveries`, null],
  ['GET', '/api/v1/maintenances', null],
  ['GET', `/api/v1/maintenances/${ID}`, null],
  ['POST', '/api/v1/maintenances', 'maintenances:write'],
  ['POST', `/api/v1/maintenances/${ID}/start`, 'maintenances:write'],
  ['POST', `/api/v1/maintenances/${ID}/verify`, 'maintenances:write'],
  ['POST', `/api/v1/maintenances/${ID}/complete`, 'maintenances:write'],
  ['POST', `/api/v1/maintenances/${ID}/cancel`, 'maintenances:write'],
  ['DELETE', `/api/v1/maintenances/${ID}`, 'maintenances:write'],
  ['GET', '/api/v1/components', null],
  ['POST', '/api/v1/components', 'components:write'],
  ['PATCH', `/api/v1/components/${ID}`, 'components:write'],
  ['DELETE', `/api/v1/components/${ID}`, 'components:write'],
  ['POST', '/api/v1/component-groups', 'components:write'],
  ['PATCH', `/api/v1/component-groups/${ID}`, 'components:write'],
  ['DELETE', `/api/v1/component-groups/${ID}`, 'components:write'],
  ['POST', '/api/v1/subscribers', 'subscribers:write'],
  ['POST', '/api/v1/subscribers/import', 'subscribers:write'],
  ['GET', '/api/v1/subscribers', 'subscribers:write'],
  ['GET', `/api/v1/subscribers/${ID}`, 'subscribers:write'],
  ['DELETE', `/api/v1/subscribers/${ID}`, 'subscribers:write'],
  ['POST', `/api/v1/subscribers/${ID}/disable`, 'subscribers:write'],
  ['POST', `/api/v1/subscribers/${ID}/reactivate`, 'subscribers:write'],
  ['GET', '/api/v1/deliveries/dead', 'subscribers:write'],
  ['POST', '/api/v1/deliveries/replay', 'subscribers:write'],
  ['GET', '/api/v1/tokens', 'tokens:write'],
  ['POST', '/api/v1/tokens', 'tokens:write'],
  ['DELETE', `/api/v1/tokens/${ID}`, 'tokens:write'],
  ['GET', '/api/v1/audit', 'admin'],
  ['GET', '/api/v1/users', 'admin'],
  ['POST', '/api/v1/users', 'admin'],
  ['POST', `/api/v1/users/${ID}/disable`, 'admin'],
  ['GET', '/api/v1/alert-recipients', 'admin'],
  ['POST', '/api/v1/heartbeats', 'heartbeats:write'],
  ['POST', '/api/v1/imports/statuspage', 'admin'],
  ['POST', '/api/v1/heartbeats/history', 'heartbeats:write'],
];

/** Console routes and the lowest role each needs. */
const CONSOLE_ROUTES: [method: 'GET' | 'POST', url: string, role: UserRole][] = [
  ['GET', '/console', 'viewer'],
  ['GET', `/console/incidents/${ID}`, 'viewer'],
  ['GET', `/console/incidents/${ID}/progress.json`, 'viewer'],
  ['GET', '/console/components', 'viewer'],
  ['GET', '/console/signal', 'viewer'],
  ['GET', '/console/subscribers', 'viewer'],
  ['GET', '/console/templates', 'viewer'],
  ['GET', `/console/templates/${ID}`, 'viewer'],
  ['GET', '/console/audit', 'viewer'],
  ['GET', '/console/deliveries/dead', 'viewer'],
  ['GET', '/console/account', 'viewer'],
  ['POST', '/console/account/password', 'viewer'],
  ['POST', `/console/account/sessions/${SESSION_ID}/revoke`, 'viewer'],
  ['GET', '/console/incidents/new', 'responder'],
  ['POST', '/console/incidents', 'responder'],
  ['POST', '/console/preview', 'responder'],
  ['POST', `/console/incidents/${ID}/updates`, 'responder'],
  ['GET', '/console/maintenances/new', 'responder'],
  ['POST', '/console/maintenances', 'responder'],
  ['POST', `/console/maintenances/${ID}/advance`, 'responder'],
  ['POST', `/console/maintenances/${ID}/cancel`, 'responder'],
  ['POST', `/console/components/${ID}/status`, 'responder'],
  ['POST', `/console/signal/notices/${ID}/dismiss`, 'responder'],
  ['GET', `/console/signal/notices/${ID}/convert`, 'responder'],
  ['POST', `/console/signal/notices/${ID}/convert`, 'responder'],
  ['POST', `/console/subscribers/${ID}/remove`, 'responder'],
  ['POST', `/console/subscribers/${ID}/disable`, 'responder'],
  ['POST', `/console/subscribers/${ID}/reactivate`, 'responder'],
  ['POST', `/console/subscribers/${ID}/rotate-secret`, 'responder'],
  ['GET', '/console/subscribers/import', 'responder'],
  ['POST', '/console/subscribers/import', 'responder'],
  ['POST', '/console/deliveries/replay', 'responder'],
  ['GET', '/console/templates/new', 'responder'],
  ['POST', '/console/templates', 'responder'],
  ['POST', `/console/templates/${ID}`, 'responder'],
  ['POST', `/console/templates/${ID}/delete`, 'responder'],
  ['POST', '/console/components', 'admin'],
  ['POST', '/console/component-groups', 'admin'],
  ['GET', `/console/components/${ID}/edit`, 'admin'],
  ['GET', `/console/component-groups/${ID}`, 'admin'],
  ['POST', `/console/components/${ID}`, 'admin'],
  ['POST', `/console/component-groups/${ID}`, 'admin'],
  ['POST', `/console/components/${ID}/archive`, 'admin'],
  ['POST', `/console/component-groups/${ID}/archive`, 'admin'],
  ['GET', '/console/tokens', 'admin'],
  ['POST', '/console/tokens', 'admin'],
  ['POST', `/console/tokens/${ID}/revoke`, 'admin'],
  ['GET', '/console/users', 'admin'],
  ['POST', '/console/users', 'admin'],
  ['POST', `/console/users/${ID}/role`, 'admin'],
  ['POST', `/console/users/${ID}/disable`, 'admin'],
  // Last: it ends the session it is sent with (each role gets a fresh session for it below).
  ['POST', '/console/sign-out', 'viewer'],
];

const ROLES: UserRole[] = ['viewer', 'responder', 'admin'];
const ROLE_RANK: Record<UserRole, number> = { viewer: 0, responder: 1, admin: 2 };

type Caller = { kind: 'nobody' } | { kind: 'token'; scope: Scope } | { kind: 'operator' };
const CALLERS: Caller[] = [{ kind: 'nobody' }, ...SCOPES.map((scope): Caller => ({ kind: 'token', scope })), { kind: 'operator' }];
const callerName = (caller: Caller) =>
  caller.kind === 'token' ? `a ${caller.scope} token` : caller.kind === 'operator' ? 'the operator (CLI)' : 'no credentials';

describe('capabilities: every guarded route answers each kind of caller as today', () => {
  let t: TestApp;
  const tokens = new Map<Scope, string>();

  beforeAll(async () => {
    t = await startTestApp();
    for (const scope of SCOPES) tokens.set(scope, await t.token(scope));
  });
  afterAll(() => t.close());

  /** Signs in and reads the CSRF token from the account page (every role may see it). */
  const signIn = async (email: string, ip: string): Promise<ConsoleSession> => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/console/sign-in',
      payload: encodeForm({ email, password: CONSOLE_PASSWORD }),
      remoteAddress: ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.statusCode, response.body).toBe(303);
    const cookie = String(response.headers['set-cookie']).split(';')[0];
    const account = await t.app.inject({ method: 'GET', url: '/console/account', headers: { cookie }, remoteAddress: ip });
    expect(account.statusCode, account.body).toBe(200);
    return { cookie, csrf: (/name="_csrf" value="([^"]+)"/.exec(account.body) as RegExpExecArray)[1], ip };
  };

  const credentials = (caller: Caller): Record<string, string> =>
    caller.kind === 'token'
      ? { authorization: `Bearer ${tokens.get(caller.scope)}` }
      : caller.kind === 'operator'
        ? { [OPERATOR_HEADER]: t.app.operatorSecret }
        : {};

  describe.each(CALLERS)('API, as $kind', (caller) => {
    it.each(API_ROUTES)(`%s %s (needs %s)`, async (method, url, scope) => {
      const response = await t.app.inject({
        method,
        url,
        headers: { ...credentials(caller), 'content-type': 'application/json' },
        payload: method === 'GET' || method === 'DELETE' ? undefined : '{}',
      });
      const allowed = caller.kind === 'operator' || (caller.kind === 'token' && (scope === null || caller.scope === scope || caller.scope === 'admin'));
      const expected = caller.kind === 'nobody' ? 401 : allowed ? 'past the guard' : 403;
      const got = response.statusCode === 401 || response.statusCode === 403 ? response.statusCode : 'past the guard';
      expect(got, `${callerName(caller)}: ${method} ${url} → ${response.statusCode} ${response.body.slice(0, 200)}`).toBe(expected);
    });
  });

  // A console route never accepts an API credential: without a session the caller is sent to sign in.
  describe.each(CALLERS)('console, as $kind', (caller) => {
    it.each(CONSOLE_ROUTES)('%s %s (needs %s)', async (method, url) => {
      const response = await t.app.inject({
        method,
        url,
        headers: { ...credentials(caller), 'content-type': 'application/x-www-form-urlencoded' },
        payload: method === 'POST' ? '' : undefined,
      });
      expect(response.statusCode, `${callerName(caller)}: ${method} ${url} → ${response.body.slice(0, 200)}`).toBe(303);
      expect(String(response.headers.location)).toMatch(/^\/console\/sign-in/);
    });
  });

  describe.each(ROLES)('console, signed in as %s', (role) => {
    let session: ConsoleSession;
    beforeAll(async () => {
      const client = consoleClient(t);
      await client.account(`${role}@acme.example`, role);
      session = await signIn(`${role}@acme.example`, `198.51.100.${ROLE_RANK[role] + 10}`);
    });

    it.each(CONSOLE_ROUTES)('%s %s (needs %s)', async (method, url, needed) => {
      const response =
        method === 'GET'
          ? await t.app.inject({ method, url, headers: { cookie: session.cookie }, remoteAddress: session.ip })
          : await t.app.inject({
              method,
              url,
              payload: encodeForm({ _csrf: session.csrf }),
              remoteAddress: session.ip,
              headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie },
            });
      const allowed = ROLE_RANK[role] >= ROLE_RANK[needed];
      // Sign-out, once past the guard, also ends at the sign-in page, but clears the cookie.
      const signInSent = response.statusCode === 303 && String(response.headers.location).startsWith('/console/sign-in') && !response.headers['set-cookie'];
      const got = response.statusCode === 403 ? 403 : signInSent ? 'sent to sign in' : 'past the guard';
      expect(got, `${role}: ${method} ${url} → ${response.statusCode} ${response.body.slice(0, 200)}`).toBe(allowed ? 'past the guard' : 403);
    });
  });
});

/**
 * The write use-cases check the capability themselves, so a door that forgot its guard (or a
 * future one) cannot do more than the table allows. Each is called by an actor that lacks exactly
 * what it needs (with input that would otherwise fail later, so a refusal can only be the check).
 */
describe('capabilities: the write use-cases check them at every door', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const viewer = userActor({ id: 'u-viewer', email: 'viewer@acme.example', role: 'viewer' });
  const responder = userActor({ id: 'u-responder', email: 'responder@acme.example', role: 'responder' });
  const USE_CASES: [name: string, refusedActor: Actor, call: (ctx: ReturnType<TestApp['app']['serviceContext']>) => Promise<unknown>][] = [
    ['declareIncident', viewer, (ctx) => declareIncident(ctx, { name: '', status: 'investigating', body: '' })],
    ['postIncidentUpdate', viewer, (ctx) => postIncidentUpdate(ctx, ID, { status: 'resolved', body: '' })],
    ['dismissHeartbeatNotice', viewer, (ctx) => dismissHeartbeatNotice(ctx, ID, {}, [])],
    ['convertHeartbeatNotice', viewer, (ctx) => convertHeartbeatNotice(ctx, ID, {})],
    ['deleteIncident', viewer, (ctx) => deleteIncident(ctx, ID, 'incident')],
    ['deleteIncident (a maintenance)', viewer, (ctx) => deleteIncident(ctx, ID, 'maintenance')],
    ['scheduleMaintenance', viewer, (ctx) => scheduleMaintenance(ctx, {})],
    ['advanceMaintenance', viewer, (ctx) => advanceMaintenance(ctx, ID, 'completed')],
    ['advanceMaintenance (the heartbeat job)', SYSTEM_ACTORS.heartbeat, (ctx) => advanceMaintenance(ctx, ID, 'completed')],
    ['cancelMaintenance', viewer, (ctx) => cancelMaintenance(ctx, ID)],
    ['setComponentStatus', viewer, (ctx) => setComponentStatus(ctx, ID, { status: 'operational' })],
    ['createComponent', responder, (ctx) => createComponent(ctx, {})],
    ['updateComponent', responder, (ctx) => updateComponent(ctx, ID, {})],
    ['editComponent', responder, (ctx) => editComponent(ctx, ID, { status: 'operational' })],
    ['archiveComponent', responder, (ctx) => archiveComponent(ctx, ID)],
    ['createComponentGroup', responder, (ctx) => createComponentGroup(ctx, {})],
    ['updateComponentGroup', responder, (ctx) => updateComponentGroup(ctx, ID, {})],
    ['archiveComponentGroup', responder, (ctx) => archiveComponentGroup(ctx, ID)],
    [
      'registerWebhook',
      visitorActor('public'),
      (ctx) =>
        registerWebhook(
          ctx,
          { type: 'webhook', url: 'https://hooks.example/x' },
          async () => ({ ok: true as const }),
          () => 'secret',
        ),
    ],
    [
      'registerChatChannel',
      visitorActor('public'),
      (ctx) =>
        registerChatChannel(
          ctx,
          { type: 'slack', url: 'https://hooks.slack.com/services/T/B/x' },
          { checkUrl: async () => ({ ok: true as const }), allowLoopback: false },
        ),
    ],
    ['sendMaintenanceReminders', SYSTEM_ACTORS.heartbeat, (ctx) => sendMaintenanceReminders(ctx)],
    ['reactivateSubscriber', viewer, (ctx) => reactivateSubscriber(ctx, ID)],
    [
      "subscribeByEmail (a responder's, not the public form)",
      viewer,
      (ctx) => subscribeByEmail(ctx, { type: 'email', email: 'a@example.org' }, { source: 'api' }),
    ],
    ['subscribeByEmail (an import)', viewer, (ctx) => subscribeByEmail(ctx, { type: 'email', email: 'a@example.org' }, { source: 'import' })],
    ['unsubscribe (a removal)', visitorActor('subscriber'), (ctx) => unsubscribe(ctx, ID, 'removed')],
    ['importEmailSubscribers', viewer, (ctx) => importEmailSubscribers(ctx, { rows: [], confirmed: false })],
    ['disableWebhookEndpoint', viewer, (ctx) => disableWebhookEndpoint(ctx, ID)],
    ['replayDeadLetters', viewer, (ctx) => replayDeadLetters(ctx, {})],
    ['ingestHeartbeats', SYSTEM_ACTORS.scheduler, (ctx) => ingestHeartbeats(ctx, [], [])],
    ['importHeartbeatHistory', SYSTEM_ACTORS.scheduler, (ctx) => importHeartbeatHistory(ctx, [], { resolution_seconds: 60, points: [] })],
    ['createUser', responder, (ctx) => createUser(ctx, {} as never)],
    ['disableUser', responder, (ctx) => disableUser(ctx, ID)],
    ['changeUserRole', responder, (ctx) => changeUserRole(ctx, ID, { role: 'admin' })],
    ['createTemplate', viewer, (ctx) => createTemplate(ctx, {})],
    ['updateTemplate', viewer, (ctx) => updateTemplate(ctx, ID, {})],
    ['deleteTemplate', viewer, (ctx) => deleteTemplate(ctx, ID)],
    ['createApiToken', responder, (ctx) => createApiToken(ctx, { name: 'x', scopes: ['incidents:write'] }, OPERATOR_GRANTOR)],
    ['revokeApiToken', responder, (ctx) => revokeApiToken(ctx, ID, OPERATOR_GRANTOR)],
    ['listApiTokens', responder, (ctx) => listApiTokens(ctx)],
    [
      'importStatuspageBatch',
      responder,
      (ctx) => importStatuspageBatch(ctx, { page_id: 'p' }, { checkWebhookUrl: async () => ({ ok: true as const }), generateWebhookSecret: () => 'secret' }),
    ],
  ];

  it.each(USE_CASES)('%s refuses an actor without the capability', async (_name, actor, call) => {
    await expect(Promise.resolve().then(() => call(t.app.serviceContext(actor)))).rejects.toThrow(ForbiddenError);
  });
});

/**
 * The actor's label is what the audit log, created_by and idempotency keys have always held: rows
 * written before and after the structured actor read alike, and a retry across a deploy finds its key.
 */
describe('capabilities: the actor labels written to the database are unchanged', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const auditActors = async (action: string) =>
    (await t.db.query<{ actor: string }>('SELECT actor FROM audit_log WHERE action = $1 ORDER BY id', [action])).map((row) => row.actor);

  it('token, CLI, console user and system doors', async () => {
    expect(await auditActors('page.synced')).toEqual(['system:config']);

    const minter = await t.token('tokens:write', 'incidents:write');
    const [minterRow] = await t.db.query<{ prefix: string }>("SELECT prefix FROM api_token WHERE name = 'test-tokens:write-incidents:write'");
    const asToken = { authorization: `Bearer ${minter}` };
    const asCli = { [OPERATOR_HEADER]: t.app.operatorSecret, 'x-lifeline-operator-user': 'alice' };
    const byToken = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: asToken, payload: { name: 'by-token', scopes: ['incidents:write'] } });
    expect(byToken.statusCode, byToken.body).toBe(201);
    const byCli = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: asCli, payload: { name: 'by-cli', scopes: ['admin'] } });
    expect(byCli.statusCode, byCli.body).toBe(201);
    const incident = { name: 'Messages delayed', status: 'investigating', body: 'Looking into it.' };
    for (const [headers, key] of [
      [asToken, 'k-token'],
      [asCli, 'k-cli'],
    ] as const) {
      const declared = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { ...headers, 'idempotency-key': key }, payload: incident });
      expect(declared.statusCode, declared.body).toBe(201);
    }

    await consoleClient(t).account('boss@acme.example', 'admin');
    const [boss] = await t.db.query<{ id: string }>("SELECT id FROM responder_user WHERE email = 'boss@acme.example'");
    const session = await consoleClient(t).signIn('boss@acme.example');
    const byUser = await consoleClient(t).post(
      '/console/tokens',
      { _csrf: session.csrf, name: 'by-user', scopes: 'incidents:write', form_id: 'f'.repeat(20) },
      session,
    );
    expect(byUser.statusCode, byUser.body.slice(0, 300)).toBeLessThan(400);

    const tokenLabel = `token:test-tokens:write-incidents:write (${minterRow.prefix})`;
    const createdBy = await t.db.query<{ name: string; created_by: string }>("SELECT name, created_by FROM api_token WHERE name LIKE 'by-%' ORDER BY name");
    expect(createdBy).toEqual([
      { name: 'by-cli', created_by: 'cli:alice' },
      { name: 'by-token', created_by: tokenLabel },
      { name: 'by-user', created_by: 'user:boss@acme.example' },
    ]);
    expect((await auditActors('token.created')).slice(-3)).toEqual([tokenLabel, 'cli:alice', 'user:boss@acme.example']);
    const keys = await t.db.query<{ actor: string; key: string }>('SELECT actor, key FROM idempotency_key ORDER BY actor');
    expect(keys).toEqual(
      expect.arrayContaining([
        { actor: tokenLabel, key: 'k-token' },
        { actor: 'cli:alice', key: 'k-cli' },
        { actor: `console:${boss.id}`, key: expect.any(String) },
      ]),
    );
  });
});

/**
 * The console's guard runs before the body is validated: a viewer posting a malformed form to a
 * route it may not use gets 403, never 400 (which would tell it how the form is judged). Every
 * console POST route the app has is walked, read from Fastify's own route tree, so a new route
 * cannot be left out; an admin's 400 for the same body shows the body is indeed malformed.
 */
describe('capabilities: the console checks the role before it looks at the form', () => {
  let t: TestApp;
  let viewer: ConsoleSession;
  let admin: ConsoleSession;
  // Open to anyone (signing in), or within a viewer's role: these are not refused.
  const NOT_REFUSED = new Set([
    '/console/sign-in',
    '/console/sign-in/link',
    '/console/sign-in/:token',
    '/console/sign-out',
    '/console/account/password',
    '/console/account/sessions/:id/revoke',
  ]);

  beforeAll(async () => {
    t = await startTestApp();
    const client = consoleClient(t);
    await client.account('viewer@acme.example', 'viewer');
    await client.account('boss@acme.example', 'admin');
    viewer = await client.signIn('viewer@acme.example');
    admin = await client.signIn('boss@acme.example');
  });
  afterAll(() => t.close());

  /** Every POST route's full path, from the tree `printRoutes` draws (four characters per level). */
  const postRoutes = (): string[] => {
    const stack: string[] = [];
    const paths: string[] = [];
    for (const line of t.app.printRoutes({ commonPrefix: false, method: 'POST' }).split('\n')) {
      const match = /^((?:[│ ] {3})*)[├└]── (\S+) \(/.exec(line);
      if (!match) continue;
      const depth = match[1].length / 4;
      stack.length = depth;
      stack.push(match[2]);
      paths.push(stack.join(''));
    }
    return paths;
  };

  it('walks every console POST route', () => {
    const routes = postRoutes().filter((path) => path.startsWith('/console'));
    expect(routes).toContain('/console/subscribers/import');
    expect(routes).toContain('/console/components/:id/archive');
    expect(routes.length).toBeGreaterThan(30);
  });

  it('a viewer posting a malformed form to any console route beyond its role gets 403, not 400', async () => {
    const routes = postRoutes().filter((path) => path.startsWith('/console') && !NOT_REFUSED.has(path));
    const results: string[] = [];
    for (const path of routes) {
      const url = path.replaceAll(/:[a-z_]+/g, 'no-such-id');
      // A field past the 30,000-character limit, and a CSV of the wrong type: no console form accepts it.
      const post = (session: ConsoleSession) =>
        t.app.inject({
          method: 'POST',
          url,
          payload: encodeForm({ _csrf: session.csrf, csv: ['a', 'b'], body: 'x'.repeat(30_001) }),
          remoteAddress: session.ip,
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie },
        });
      results.push(`${path}: viewer ${(await post(viewer)).statusCode}, admin ${(await post(admin)).statusCode}`);
    }
    expect(results).toEqual(routes.map((path) => `${path}: viewer 403, admin 400`));
  });
});
