import type { TSchema } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.ts';
import type { ServiceContext } from '../../src/services/context.ts';
import { convertHeartbeatNotice, ConvertHeartbeatNoticeInput } from '../../src/services/incidents/convert-heartbeat-notice.ts';
import { declareIncident, DeclareIncidentInput } from '../../src/services/incidents/declare-incident.ts';
import { dismissHeartbeatNotice, DismissHeartbeatNoticeInput } from '../../src/services/incidents/dismiss-heartbeat-notice.ts';
import { postIncidentUpdate, PostIncidentUpdateInput } from '../../src/services/incidents/post-incident-update.ts';
import { advanceMaintenance, AdvanceMaintenanceInput } from '../../src/services/maintenances/advance-maintenance.ts';
import { cancelMaintenance, CancelMaintenanceInput } from '../../src/services/maintenances/cancel-maintenance.ts';
import { scheduleMaintenance, ScheduleMaintenanceInput } from '../../src/services/maintenances/schedule-maintenance.ts';
import { limitsOf } from '../../src/services/shared/fields.ts';
import { ImportStatuspageBatchInput } from '../../src/services/imports/import-statuspage-batch.ts';
import { ImportHeartbeatHistoryInput } from '../../src/services/heartbeats/import-heartbeat-history.ts';
import { openEpisode } from '../../src/storage/heartbeat-episode-repository.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { consoleClient, unescapeHtml, type ConsoleSession } from '../helpers/console-client.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/**
 * One contract per use-case (issue 11): each write route declares its use-case's exported input
 * schema as its body, so the route cannot drift from the use-case (a limit changed in one place
 * only), and a bad input gets the same `{field, message}` at every door: the API (Fastify checks
 * the body before the handler) and any caller of the use-case itself (console forms, jobs).
 * Other areas add their routes to ROUTES and CASES.
 */
let t: TestApp;
let token: string;
let ctx: ServiceContext;
let openapi: { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>> };

beforeAll(async () => {
  t = await startTestApp();
  token = await t.token('incidents:write', 'maintenances:write');
  ctx = t.app.serviceContext(labelledOperator('cli:contracts-test'));
  openapi = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
});
afterAll(() => t.close());

/**
 * A schema as the OpenAPI document shows it: as JSON (TypeBox keeps its markers out of it), with
 * a record's `patternProperties: {"^.*$": X}` written `additionalProperties: X` and `X | null` as
 * `nullable`, as @fastify/swagger does, since OpenAPI 3.0 has neither.
 */
function asOpenApi(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(asOpenApi);
  if (schema === null || typeof schema !== 'object') return schema;
  // `X | null` (anyOf with a null branch) is OpenAPI 3.0's `nullable: true` on X.
  const { anyOf, ...own } = schema as { anyOf?: unknown[] };
  const nonNull = anyOf?.filter((branch) => (branch as { type?: string }).type !== 'null');
  if (anyOf && nonNull && nonNull.length === 1 && anyOf.length === 2) return { ...(asOpenApi(nonNull[0]) as object), ...own, nullable: true };
  const entries = Object.entries(schema).map(([key, value]): [string, unknown] => {
    const anyKey = key === 'patternProperties' && typeof value === 'object' && value !== null && Object.keys(value).join() === '^.*$';
    return anyKey ? ['additionalProperties', asOpenApi((value as Record<string, unknown>)['^.*$'])] : [key, asOpenApi(value)];
  });
  return Object.fromEntries(entries);
}
const json = (schema: TSchema) => asOpenApi(JSON.parse(JSON.stringify(schema)));

const ROUTES: [method: 'post', path: string, contract: TSchema][] = [
  ['post', '/api/v1/incidents', DeclareIncidentInput],
  ['post', '/api/v1/incidents/{id}/updates', PostIncidentUpdateInput],
  ['post', '/api/v1/incidents/{id}/dismiss', DismissHeartbeatNoticeInput],
  ['post', '/api/v1/incidents/{id}/convert', ConvertHeartbeatNoticeInput],
  ['post', '/api/v1/maintenances', ScheduleMaintenanceInput],
  ['post', '/api/v1/maintenances/{id}/start', AdvanceMaintenanceInput],
  ['post', '/api/v1/maintenances/{id}/verify', AdvanceMaintenanceInput],
  ['post', '/api/v1/maintenances/{id}/complete', AdvanceMaintenanceInput],
  ['post', '/api/v1/maintenances/{id}/cancel', CancelMaintenanceInput],
  ['post', '/api/v1/imports/statuspage', ImportStatuspageBatchInput],
  ['post', '/api/v1/heartbeats/history', ImportHeartbeatHistoryInput],
];

describe("each write route declares its use-case's contract as its body", () => {
  it.each(ROUTES)('%s %s', (method, path, contract) => {
    const operation = openapi.paths[path]?.[method];
    expect(operation, `${path} is in the OpenAPI document`).toBeDefined();
    expect(operation.requestBody?.content['application/json']?.schema).toEqual(json(contract));
  });
});

const ID = 'no-such-row';
const long = (n: number) => 'x'.repeat(n);
const future = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

/** `[what, API path, body, the use-case called directly with the same body]`. */
const CASES: [what: string, url: string, body: Record<string, unknown>, call: (input: Record<string, unknown>) => Promise<unknown>][] = [
  ['declare: a name past its limit', '/api/v1/incidents', { name: long(256), body: 'b' }, (input) => declareIncident(ctx, input)],
  ['declare: an unknown field', '/api/v1/incidents', { name: 'n', body: 'b', severity: 'high' }, (input) => declareIncident(ctx, input)],
  ['update: a body past its limit', `/api/v1/incidents/${ID}/updates`, { body: long(25_001) }, (input) => postIncidentUpdate(ctx, ID, input)],
  ['update: no body', `/api/v1/incidents/${ID}/updates`, { status: 'resolved' }, (input) => postIncidentUpdate(ctx, ID, input)],
  ['update: an unknown status', `/api/v1/incidents/${ID}/updates`, { body: 'b', status: 'fixed' }, (input) => postIncidentUpdate(ctx, ID, input)],
  [
    'update: a component status that does not exist',
    `/api/v1/incidents/${ID}/updates`,
    { body: 'b', components: { 'us-api': 'broken' } },
    (input) => postIncidentUpdate(ctx, ID, input),
  ],
  [
    'update: a postmortem link past its limit',
    `/api/v1/incidents/${ID}/updates`,
    { body: 'b', postmortem_url: `https://x.example/${long(2000)}` },
    (input) => postIncidentUpdate(ctx, ID, input),
  ],
  ['update: notify as text', `/api/v1/incidents/${ID}/updates`, { body: 'b', deliver_notifications: 'yes' }, (input) => postIncidentUpdate(ctx, ID, input)],
  ['dismiss: a reason past its limit', `/api/v1/incidents/${ID}/dismiss`, { reason: long(1001) }, (input) => dismissHeartbeatNotice(ctx, ID, input, [])],
  ['dismiss: an empty reason', `/api/v1/incidents/${ID}/dismiss`, { reason: '' }, (input) => dismissHeartbeatNotice(ctx, ID, input, [])],
  ['convert: an empty body', `/api/v1/incidents/${ID}/convert`, { body: '' }, (input) => convertHeartbeatNotice(ctx, ID, input)],
  [
    'convert: a postmortem link (not part of taking over)',
    `/api/v1/incidents/${ID}/convert`,
    { body: 'b', postmortem_url: 'https://x.example' },
    (input) => convertHeartbeatNotice(ctx, ID, input),
  ],
  ['schedule: no end', '/api/v1/maintenances', { name: 'n', body: 'b', scheduled_for: future(1) }, (input) => scheduleMaintenance(ctx, input)],
  [
    'schedule: a start that is not a date-time',
    '/api/v1/maintenances',
    { name: 'n', body: 'b', scheduled_for: 'tomorrow', scheduled_until: future(2) },
    (input) => scheduleMaintenance(ctx, input),
  ],
  [
    'schedule: components as text',
    '/api/v1/maintenances',
    { name: 'n', body: 'b', scheduled_for: future(1), scheduled_until: future(2), components: 'us-api' },
    (input) => scheduleMaintenance(ctx, input),
  ],
  ['advance: a body past its limit', `/api/v1/maintenances/${ID}/complete`, { body: long(25_001) }, (input) => advanceMaintenance(ctx, ID, 'completed', input)],
  ['advance: an unknown field', `/api/v1/maintenances/${ID}/start`, { status: 'completed' }, (input) => advanceMaintenance(ctx, ID, 'in_progress', input)],
  ['cancel: a body past its limit', `/api/v1/maintenances/${ID}/cancel`, { body: long(25_001) }, (input) => cancelMaintenance(ctx, ID, input)],
  ['cancel: an unknown field', `/api/v1/maintenances/${ID}/cancel`, { status: 'completed' }, (input) => cancelMaintenance(ctx, ID, input)],
];

describe('a bad input gets the same words from the API and from the use-case', () => {
  it.each(CASES)('%s', async (_what, url, body, call) => {
    const answer = await t.app.inject({ method: 'POST', url, payload: body, headers: { authorization: `Bearer ${token}` } });
    expect(answer.statusCode, answer.body).toBe(400);
    const { error, field, message } = answer.json();
    expect(error).toBe('invalid_input');
    const thrown = await call(structuredClone(body)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(ValidationError);
    expect({ field: (thrown as ValidationError).field, message: (thrown as ValidationError).message }).toEqual({ field, message });
  });
});

/** Every `maxlength` of the form fields called `name` on a page (a page may hold several forms). */
function maxLengthsOf(html: string, name: string): number[] {
  const tags = html.match(new RegExp(`<(?:input|textarea)[^>]*\\bname="${name}"[^>]*>`, 'g')) ?? [];
  return tags.map((tag) => Number(/\bmaxlength="(\d+)"/.exec(tag)?.[1]));
}

describe("the console's forms follow the same contracts", () => {
  const client = () => consoleClient(t);
  let session: ConsoleSession;
  let declaredId: string;
  let noticeId: string;

  beforeAll(async () => {
    await client().account('contracts@acme.example', 'responder');
    session = await client().signIn('contracts@acme.example');
    declaredId = (await declareIncident(ctx, { name: 'Search is slow', body: 'Looking.' })).id;
    noticeId = (
      await declareIncident(
        t.app.serviceContext(labelledOperator('system:heartbeat')),
        { name: 'Reduced activity in eu', body: 'Reduced activity.' },
        { source: 'heartbeat' },
      )
    ).id;
    await openEpisode(t.db, { metric: 'messages-created', region: 'eu' }, { startedAt: t.clock.now(), tier: 'major', incidentId: noticeId });
  });

  it('they stop where the use-case does: declare, update and resolve, schedule, take over and dismiss (maxlength)', async () => {
    const pages: { url: string; contract: Parameters<typeof limitsOf>[0]; fields: string[] }[] = [
      { url: '/console/incidents/new', contract: DeclareIncidentInput, fields: ['name', 'body'] },
      { url: `/console/incidents/${declaredId}`, contract: PostIncidentUpdateInput, fields: ['body', 'postmortem_url'] },
      { url: '/console/maintenances/new', contract: ScheduleMaintenanceInput, fields: ['name', 'body'] },
      { url: `/console/signal/notices/${noticeId}/convert`, contract: ConvertHeartbeatNoticeInput, fields: ['body'] },
      // The notice partial, which the dashboard shows too when heartbeats are configured.
      { url: '/console/signal', contract: DismissHeartbeatNoticeInput, fields: ['reason'] },
    ];
    for (const { url, contract, fields } of pages) {
      const page = await client().get(url, session);
      expect(page.statusCode, url).toBe(200);
      const limits = limitsOf(contract);
      for (const name of fields) {
        const found = maxLengthsOf(page.body, name);
        expect(found.length, `${url} has a ${name} field`).toBeGreaterThan(0);
        expect(found, `${url} ${name}`).toEqual(found.map(() => limits[name]));
      }
    }
  });

  it("past a limit, the form shows the API's words next to the field", async () => {
    const cases: { api: [url: string, body: Record<string, unknown>]; form: [url: string, fields: Record<string, string>]; errorId: string }[] = [
      { api: ['/api/v1/incidents', { name: long(256), body: 'b' }], form: ['/console/incidents', { name: long(256), body: 'b' }], errorId: 'name-error' },
      {
        api: [`/api/v1/incidents/${declaredId}/updates`, { body: 'b', postmortem_url: `https://x.example/${long(2000)}` }],
        form: [`/console/incidents/${declaredId}/updates`, { body: 'b', postmortem_url: `https://x.example/${long(2000)}` }],
        errorId: 'postmortem-error',
      },
      {
        api: ['/api/v1/maintenances', { name: 'n', body: 'b', scheduled_for: 'soon', scheduled_until: future(2) }],
        form: ['/console/maintenances', { name: 'n', body: 'b', from: 'soon', until: future(2).slice(0, 16) }],
        errorId: 'from-error',
      },
      {
        api: [`/api/v1/incidents/${noticeId}/dismiss`, { reason: long(1001) }],
        form: [`/console/signal/notices/${noticeId}/dismiss`, { reason: long(1001) }],
        errorId: `reason-${noticeId}-error`,
      },
      {
        api: [`/api/v1/incidents/${noticeId}/convert`, { body: long(25_001) }],
        form: [`/console/signal/notices/${noticeId}/convert`, { body: long(25_001) }],
        errorId: 'body-error',
      },
    ];
    for (const {
      api: [apiUrl, body],
      form: [formUrl, fields],
      errorId,
    } of cases) {
      const answer = (await t.app.inject({ method: 'POST', url: apiUrl, payload: body, headers: { authorization: `Bearer ${token}` } })).json();
      const problem = answer.message.slice(`${answer.field}: `.length);
      const page = await client().post(formUrl, { _csrf: session.csrf, ...fields }, session);
      expect(page.statusCode, formUrl).toBe(400);
      expect(unescapeHtml(/id="([^"]+)">([^<]*)</.exec(page.body.slice(page.body.indexOf(`id="${errorId}"`)))?.[2] ?? ''), formUrl).toBe(problem);
    }
  });
});
