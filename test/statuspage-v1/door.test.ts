// The Statuspage manage-API door (/v1), driven the way real tools drive Statuspage: their request
// bodies (fixtures/, after the clients' own code and docs), their auth headers and path spellings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { UNLIMITED } from './rate-limit.ts';

let t: TestApp;
let writer: string;
let pageId: string;
let usApi: string;

const fixture = (name: string, replace: Record<string, string> = {}) =>
  JSON.parse(
    Object.entries(replace).reduce((text, [from, to]) => text.replaceAll(from, to), readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')),
  ) as object;

type Headers = Record<string, string>;
const call = (
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  options: { body?: object | string; headers?: Headers; token?: string | null } = {},
) => {
  const token = options.token === undefined ? writer : options.token;
  return t.app.inject({
    method,
    url,
    payload: options.body,
    headers: { ...(token ? { authorization: `OAuth ${token}` } : {}), ...options.headers },
  });
};

beforeAll(async () => {
  t = await startTestApp({ env: UNLIMITED });
  writer = await t.token('incidents:write', 'components:write', 'maintenances:write');
  pageId = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().page.id;
  usApi = await t.componentId('us-api');
});
afterAll(() => t.close());

describe('authentication, as Statuspage clients send it', () => {
  it('takes Authorization: OAuth, Bearer and ?api_key=', async () => {
    for (const request of [
      { headers: { authorization: `OAuth ${writer}` } },
      { headers: { authorization: `Bearer ${writer}` } },
      { query: `?api_key=${writer}` },
    ]) {
      const response = await t.app.inject({ method: 'GET', url: `/v1/pages/${pageId}${request.query ?? ''}`, headers: request.headers });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ id: pageId, name: 'Acme Chat', time_zone: 'Etc/UTC' });
    }
  });

  it('answers 401 without a token or with a wrong one, and 403 for a missing scope, as {error, message}', async () => {
    const none = await call('GET', `/v1/pages/${pageId}`, { token: null });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: expect.stringContaining('OAuth'), message: expect.stringContaining('OAuth') });
    expect((await call('GET', `/v1/pages/${pageId}`, { token: 'lfl_nope_nope' })).statusCode).toBe(401);
    const heartbeatsOnly = await t.token('heartbeats:write');
    const forbidden = await call('POST', `/v1/pages/${pageId}/incidents`, { token: heartbeatsOnly, body: fixture('checkly-create.json') });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error).toContain('incidents:write');
  });

  it('authenticates before it reads the body', async () => {
    const response = await call('POST', `/v1/pages/${pageId}/incidents`, { token: null, body: '{not json', headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(401);
  });
});

describe('paths', () => {
  it('answers 404 for another page id', async () => {
    const response = await call('GET', '/v1/pages/not-this-page/components');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: expect.stringContaining('not-this-page') });
  });

  it('accepts the .json suffix on every path, with or without a query', async () => {
    expect((await call('GET', `/v1/pages/${pageId}.json`)).statusCode).toBe(200);
    expect((await call('GET', `/v1/pages/${pageId}/components.json`)).json()).toBeInstanceOf(Array);
    expect((await call('GET', `/v1/pages/${pageId}/incidents.json?limit=5`)).json()).toBeInstanceOf(Array);
  });

  it('answers an unknown path under /v1 in its own error shape', async () => {
    const response = await call('GET', `/v1/pages/${pageId}/metrics_providers`);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: expect.any(String), message: expect.any(String) });
  });
});

describe('components', () => {
  it("lists components and groups as a bare array, with Statuspage's fields", async () => {
    const list = (await call('GET', `/v1/pages/${pageId}/components`)).json();
    expect(list.length).toBe(7); // 2 groups, 4 grouped components, 1 on its own
    expect(list.find((c: { id: string }) => c.id === usApi)).toMatchObject({
      id: usApi,
      name: 'API',
      status: 'operational',
      page_id: pageId,
      group: false,
      automation_email: null,
    });
    expect(list.filter((c: { group: boolean }) => c.group).map((c: { name: string }) => c.name)).toEqual(['United States', 'Europe']);
  });

  it('sets a status with {"component":{status}}, ignoring fields that match and fields it does not know', async () => {
    const response = await call('PATCH', `/v1/pages/${pageId}/components/${usApi}`, {
      body: { component: { status: 'degraded_performance', name: 'API', showcase: true, automation_email: 'x@example.com' } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: usApi, status: 'degraded_performance', name: 'API' });
    const put = await call('PUT', `/v1/pages/${pageId}/components/${usApi}.json`, { body: { component: { status: 'operational' } } });
    expect(put.json().status).toBe('operational');
  });

  it('refuses a rename on a page whose components come from its definition file', async () => {
    const response = await call('PATCH', `/v1/pages/${pageId}/components/${usApi}`, { body: { component: { name: 'Public API' } } });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatch(/definition|file|console/i);
  });

  it('names the field of a bad status with 422', async () => {
    const response = await call('PATCH', `/v1/pages/${pageId}/components/${usApi}`, { body: { component: { status: 'broken' } } });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(/^status: must be one of operational/);
  });
});

describe("incidents, driven by real tools' bodies", () => {
  it('prometheus-alerts-to-statuspage: creates, finds it unresolved, resolves it', async () => {
    const created = await call('POST', `/v1/pages/${pageId}/incidents`, { body: fixture('prometheus-alerts-create.json', { COMPONENT_ID: usApi }) });
    expect(created.statusCode).toBe(201);
    const incident = created.json();
    expect(incident).toMatchObject({
      name: 'HighErrorRate: api',
      status: 'investigating',
      impact: 'major',
      page_id: pageId,
      impact_override: 'major',
      metadata: {},
      postmortem_body: null,
      scheduled_for: null,
      reminder_intervals: null,
    });
    expect(incident.components.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([[usApi, 'partial_outage']]);
    expect(incident.incident_updates[0]).toMatchObject({
      body: 'Alertmanager: error rate above 5% for 5 minutes',
      twitter_updated_at: null,
      wants_twitter_update: false,
    });

    const unresolved = (await call('GET', `/v1/pages/${pageId}/incidents/unresolved`)).json();
    expect(unresolved.map((i: { id: string }) => i.id)).toContain(incident.id);

    const resolved = await call('PATCH', `/v1/pages/${pageId}/incidents/${incident.id}`, {
      body: fixture('prometheus-alerts-resolve.json', { COMPONENT_ID: usApi }),
    });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({ id: incident.id, status: 'resolved' });
    expect(resolved.json().incident_updates.map((u: { status: string }) => u.status)).toEqual(['resolved', 'investigating']);
    expect((await call('GET', `/v1/pages/${pageId}/incidents/unresolved`)).json().map((i: { id: string }) => i.id)).not.toContain(incident.id);
    // The same incident in the native API and the public page: one use-case behind both doors.
    const native = (await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}`, headers: { authorization: `Bearer ${writer}` } })).json();
    expect(native.status).toBe('resolved');
    const audit = await t.db.query<{ action: string }>('SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id', [incident.id]);
    expect(audit.map((row) => row.action)).toEqual(['incident.created', 'incident.resolved']);
  });

  it('Checkly: ignores the fields Lifeline has no use for (metadata, auto_tweet_*, backfill_date, …)', async () => {
    const created = await call('POST', `/v1/pages/${pageId}/incidents`, { body: fixture('checkly-create.json') });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'Checkly: Login flow failing', status: 'investigating', impact: 'minor', impact_override: 'minor' });
  });

  it('hubot-statuspage: takes message as the body, "f" as false, and the .json suffix', async () => {
    const created = (await call('POST', `/v1/pages/${pageId}/incidents.json`, { body: fixture('checkly-create.json') })).json();
    const updated = await call('PATCH', `/v1/pages/${pageId}/incidents/${created.id}.json`, { body: fixture('hubot-update.json') });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().status).toBe('identified');
    expect(updated.json().incident_updates[0].body).toBe('Found the bad deploy, rolling back');
  });

  it('takes a Rails-style form body (incident[name]=…&incident[components][id]=…)', async () => {
    const form = new URLSearchParams({
      'incident[name]': 'Form-made incident',
      'incident[status]': 'identified',
      'incident[body]': 'Sent as a form',
      [`incident[components][${usApi}]`]: 'major_outage',
      'incident[deliver_notifications]': 'false',
      'incident[wants_twitter_update]': 'f',
    });
    const created = await call('POST', `/v1/pages/${pageId}/incidents`, {
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(created.statusCode).toBe(201);
    const incident = created.json();
    expect(incident).toMatchObject({ name: 'Form-made incident', status: 'identified', impact: 'major' });
    expect(incident.incident_updates[0].deliver_notifications).toBe(false);
    expect(incident.components[0]).toMatchObject({ id: usApi, status: 'major_outage' });
  });

  it('reads a body without a content type as JSON', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: `/v1/pages/${pageId}/incidents`,
      headers: { authorization: `OAuth ${writer}` },
      payload: JSON.stringify({ incident: { name: 'No content type', body: 'Still JSON' } }),
    });
    expect(created.statusCode).toBe(201);
  });

  it("writes Statuspage's placeholder words when a tool moves an incident without a message", async () => {
    const created = (await call('POST', `/v1/pages/${pageId}/incidents`, { body: { incident: { name: 'No words' } } })).json();
    expect(created.incident_updates[0].body).toBe('We are currently investigating this issue.');
    const moved = (await call('PATCH', `/v1/pages/${pageId}/incidents/${created.id}`, { body: { incident: { status: 'monitoring' } } })).json();
    expect(moved.incident_updates[0].body).toBe('A fix has been implemented and we are monitoring the results.');
  });

  it('keeps impact_override: null while the impact is computed, the chosen one once a tool sets it, until it sets another', async () => {
    const created = (
      await call('POST', `/v1/pages/${pageId}/incidents`, { body: { incident: { name: 'Computed impact', components: { [usApi]: 'degraded_performance' } } } })
    ).json();
    expect(created).toMatchObject({ impact: 'minor', impact_override: null });
    const url = `/v1/pages/${pageId}/incidents/${created.id}`;
    const overridden = (await call('PATCH', url, { body: { incident: { status: 'identified', impact_override: 'critical' } } })).json();
    expect(overridden).toMatchObject({ impact: 'critical', impact_override: 'critical' });
    const moved = (await call('PATCH', url, { body: { incident: { status: 'monitoring' } } })).json();
    expect(moved).toMatchObject({ impact: 'critical', impact_override: 'critical' });
    expect((await call('GET', url)).json()).toMatchObject({ impact_override: 'critical' });
    await call('PATCH', url, { body: { incident: { status: 'resolved' } } });
  });

  it('answers a PATCH that moves nothing with the incident as it is, posting no update', async () => {
    const created = (await call('POST', `/v1/pages/${pageId}/incidents`, { body: { incident: { name: 'Unmoved', body: 'b' } } })).json();
    const same = await call('PATCH', `/v1/pages/${pageId}/incidents/${created.id}`, { body: { incident: { name: 'Unmoved', metadata: {} } } });
    expect(same.statusCode).toBe(200);
    expect(same.json().incident_updates).toHaveLength(1);
  });

  it('renames an incident with incident[name], posting no update for that, and audits it', async () => {
    const created = (await call('POST', `/v1/pages/${pageId}/incidents`, { body: { incident: { name: 'Slow logins', body: 'b' } } })).json();
    const renamed = await call('PATCH', `/v1/pages/${pageId}/incidents/${created.id}`, { body: { incident: { name: 'Slow logins in Europe' } } });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id: created.id, name: 'Slow logins in Europe', status: 'investigating' });
    expect(renamed.json().incident_updates).toHaveLength(1);
    // A form body, with a status: renamed and moved on in one request, one update.
    const both = await t.app.inject({
      method: 'PATCH',
      url: `/v1/pages/${pageId}/incidents/${created.id}`,
      headers: { authorization: `OAuth ${writer}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'incident[name]=Slow+logins+everywhere&incident[status]=identified',
    });
    expect(both.statusCode).toBe(200);
    expect(both.json()).toMatchObject({ name: 'Slow logins everywhere', status: 'identified' });
    expect(both.json().incident_updates.map((u: { status: string }) => u.status)).toEqual(['identified', 'investigating']);
    await t.settle();
    const v2 = (await t.app.inject({ method: 'GET', url: '/api/v2/incidents.json' })).json();
    expect(v2.incidents.find((i: { id: string }) => i.id === created.id).name).toBe('Slow logins everywhere');
    const audit = await t.db.query<{ action: string; details: unknown }>('SELECT action, details FROM audit_log WHERE target_id = $1 ORDER BY id', [
      created.id,
    ]);
    expect(audit.filter((row) => row.action === 'incident.renamed').map((row) => row.details)).toEqual([
      { from: 'Slow logins', to: 'Slow logins in Europe' },
      { from: 'Slow logins in Europe', to: 'Slow logins everywhere' },
    ]);
    expect(audit.map((row) => row.action)).toEqual(['incident.created', 'incident.renamed', 'incident.renamed', 'incident.updated']);

    const empty = await call('PATCH', `/v1/pages/${pageId}/incidents/${created.id}`, { body: { incident: { name: ' ' } } });
    expect(empty.statusCode).toBe(422);
    expect(empty.json().error).toMatch(/^name: /);
    const readOnly = await t.token('heartbeats:write');
    const forbidden = await call('PATCH', `/v1/pages/${pageId}/incidents/${created.id}`, { token: readOnly, body: { incident: { name: 'Nope' } } });
    expect(forbidden.statusCode).toBe(403);
    expect((await call('GET', `/v1/pages/${pageId}/incidents/${created.id}`)).json().name).toBe('Slow logins everywhere');
  });

  it('answers 422 naming the field for what the use-case refuses, and 422 for a missing wrapper', async () => {
    const noName = await call('POST', `/v1/pages/${pageId}/incidents`, { body: { incident: { status: 'investigating', body: 'b' } } });
    expect(noName.statusCode).toBe(422);
    expect(noName.json()).toEqual({ error: 'name: is required', message: 'name: is required' });
    const badStatus = await call('POST', `/v1/pages/${pageId}/incidents`, { body: { incident: { name: 'x', status: 'exploded' } } });
    expect(badStatus.statusCode).toBe(422);
    expect(badStatus.json().error).toMatch(/^status: must be one of/);
    const unwrapped = await call('POST', `/v1/pages/${pageId}/incidents`, { body: { name: 'x' } });
    expect(unwrapped.statusCode).toBe(422);
    expect(unwrapped.json().error).toMatch(/^incident: is required/);
    const unknownComponent = await call('POST', `/v1/pages/${pageId}/incidents`, { body: { incident: { name: 'x', component_ids: ['nope'] } } });
    expect(unknownComponent.statusCode).toBe(422);
    expect(unknownComponent.json().error).toMatch(/components\.nope/);
  });

  it('answers malformed JSON with 400 and a missing incident with 404', async () => {
    const malformed = await call('POST', `/v1/pages/${pageId}/incidents`, { body: '{"incident": ', headers: { 'content-type': 'application/json' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({ error: expect.any(String), message: expect.any(String) });
    expect((await call('GET', `/v1/pages/${pageId}/incidents/nope`)).statusCode).toBe(404);
  });

  it('lists incidents newest first with q, limit and page', async () => {
    const all = (await call('GET', `/v1/pages/${pageId}/incidents`)).json();
    expect(all.length).toBeGreaterThanOrEqual(5);
    const first = (await call('GET', `/v1/pages/${pageId}/incidents?limit=2&page=1`)).json();
    const second = (await call('GET', `/v1/pages/${pageId}/incidents?limit=2&page=2`)).json();
    expect(first.map((i: { id: string }) => i.id)).toEqual(all.slice(0, 2).map((i: { id: string }) => i.id));
    expect(second.map((i: { id: string }) => i.id)).toEqual(all.slice(2, 4).map((i: { id: string }) => i.id));
    const found = (await call('GET', `/v1/pages/${pageId}/incidents?q=rolling%20back`)).json();
    expect(found.map((i: { name: string }) => i.name)).toEqual(['Checkly: Login flow failing']);
    expect((await call('GET', `/v1/pages/${pageId}/incidents?q=100%25`)).json()).toEqual([]);
  });

  it('deletes with DELETE, answering the deleted incident (test/statuspage-v1/delete.test.ts has the rest)', async () => {
    const created = (await call('POST', `/v1/pages/${pageId}/incidents`, { body: { incident: { name: 'Made by mistake', body: 'b' } } })).json();
    const response = await call('DELETE', `/v1/pages/${pageId}/incidents/${created.id}.json`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: created.id, name: 'Made by mistake', impact_override: null });
    expect((await call('GET', `/v1/pages/${pageId}/incidents/${created.id}`)).statusCode).toBe(404);
  });
});

describe('maintenances', () => {
  it('a maintenance status makes a maintenance; it shows in upcoming and scheduled, then in active_maintenance', async () => {
    const now = t.clock.now().getTime();
    const body = fixture('maintenance-create.json', {
      COMPONENT_ID: usApi,
      SCHEDULED_FOR: new Date(now + 3_600_000).toISOString(),
      SCHEDULED_UNTIL: new Date(now + 7_200_000).toISOString(),
    });
    const created = await call('POST', `/v1/pages/${pageId}/incidents`, { body });
    expect(created.statusCode).toBe(201);
    const maintenance = created.json();
    expect(maintenance).toMatchObject({
      name: 'Database upgrade',
      status: 'scheduled',
      impact: 'maintenance',
      scheduled_auto_in_progress: true,
      scheduled_auto_completed: true,
    });
    expect(maintenance.scheduled_for).toBe(new Date(now + 3_600_000).toISOString());
    const ids = async (list: string) => (await call('GET', `/v1/pages/${pageId}/incidents/${list}`)).json().map((i: { id: string }) => i.id);
    expect(await ids('upcoming')).toContain(maintenance.id);
    expect(await ids('scheduled')).toContain(maintenance.id);
    expect(await ids('active_maintenance')).not.toContain(maintenance.id);
    expect(await ids('unresolved')).not.toContain(maintenance.id);

    const started = await call('PATCH', `/v1/pages/${pageId}/incidents/${maintenance.id}`, { body: { incident: { status: 'in_progress' } } });
    expect(started.statusCode).toBe(200);
    expect(started.json().status).toBe('in_progress');
    expect(await ids('active_maintenance')).toContain(maintenance.id);
    expect(await ids('upcoming')).not.toContain(maintenance.id);
    const done = await call('PATCH', `/v1/pages/${pageId}/incidents/${maintenance.id}`, { body: { incident: { status: 'completed', body: 'All done' } } });
    expect(done.json()).toMatchObject({ status: 'completed' });
    expect(done.json().incident_updates[0].body).toBe('All done');
  });

  it('a maintenance created in_progress starts at once', async () => {
    const until = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    const created = await call('POST', `/v1/pages/${pageId}/incidents`, {
      body: { incident: { name: 'Hotfix window', status: 'in_progress', scheduled_until: until, component_ids: [usApi] } },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().status).toBe('in_progress');
    const component = (await call('GET', `/v1/pages/${pageId}/components/${usApi}`)).json();
    expect(component.status).toBe('under_maintenance');
    // Renamed without moving it on: no update, and the maintenance scope is the one asked for.
    const incidentsOnly = await t.token('incidents:write');
    const refused = await call('PATCH', `/v1/pages/${pageId}/incidents/${created.json().id}`, { token: incidentsOnly, body: { incident: { name: 'Hotfix' } } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toContain('maintenances:write');
    const renamed = await call('PATCH', `/v1/pages/${pageId}/incidents/${created.json().id}`, { body: { incident: { name: 'Hotfix window (EU)' } } });
    expect(renamed.json()).toMatchObject({ name: 'Hotfix window (EU)', status: 'in_progress' });
    expect(renamed.json().incident_updates).toHaveLength(created.json().incident_updates.length);
  });
});

describe('the OpenAPI document', () => {
  it('describes the /v1 door with its OAuth scheme', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toContain('/v1/pages/{page_id}/incidents');
    expect(doc.components.securitySchemes.oauth).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    expect(doc.tags).toContainEqual(expect.objectContaining({ name: 'statuspage-v1', description: expect.stringContaining('Retry-After') }));
  });

  it('lists every route of the door, each with its summary and the OAuth scheme', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const operations = Object.entries(doc.paths as Record<string, Record<string, { tags?: string[]; summary?: string; security?: unknown }>>)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ at: `${method.toUpperCase()} ${path}`, ...operation })));
    expect(operations.map((o) => o.at).sort()).toEqual(
      [
        'GET /v1/pages/{page_id}',
        'GET /v1/pages/{page_id}/components',
        'POST /v1/pages/{page_id}/components',
        'GET /v1/pages/{page_id}/components/{component_id}',
        'PATCH /v1/pages/{page_id}/components/{component_id}',
        'PUT /v1/pages/{page_id}/components/{component_id}',
        'DELETE /v1/pages/{page_id}/components/{component_id}',
        'GET /v1/pages/{page_id}/component-groups',
        'POST /v1/pages/{page_id}/component-groups',
        'GET /v1/pages/{page_id}/component-groups/{group_id}',
        'PATCH /v1/pages/{page_id}/component-groups/{group_id}',
        'PUT /v1/pages/{page_id}/component-groups/{group_id}',
        'DELETE /v1/pages/{page_id}/component-groups/{group_id}',
        'GET /v1/pages/{page_id}/subscribers',
        'POST /v1/pages/{page_id}/subscribers',
        'GET /v1/pages/{page_id}/subscribers/{subscriber_id}',
        'DELETE /v1/pages/{page_id}/subscribers/{subscriber_id}',
        'GET /v1/pages/{page_id}/incident_templates',
        'POST /v1/pages/{page_id}/incident_templates',
        'GET /v1/pages/{page_id}/incidents',
        'POST /v1/pages/{page_id}/incidents',
        'GET /v1/pages/{page_id}/incidents/unresolved',
        'GET /v1/pages/{page_id}/incidents/upcoming',
        'GET /v1/pages/{page_id}/incidents/active_maintenance',
        'GET /v1/pages/{page_id}/incidents/scheduled',
        'GET /v1/pages/{page_id}/incidents/{incident_id}',
        'PATCH /v1/pages/{page_id}/incidents/{incident_id}',
        'PUT /v1/pages/{page_id}/incidents/{incident_id}',
        'DELETE /v1/pages/{page_id}/incidents/{incident_id}',
      ].sort(),
    );
    for (const operation of operations) {
      expect(operation.tags, operation.at).toEqual(['statuspage-v1']);
      expect(operation.summary, operation.at).toBeTruthy();
      expect(operation.security, operation.at).toEqual([{ oauth: [] }]);
    }
  });
});

describe('hostile bodies', () => {
  const form = (body: string) => call('POST', `/v1/pages/${pageId}/incidents`, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  it('ignores prototype keys in a form and never pollutes Object.prototype', async () => {
    const response = await form(
      'incident[name]=Proto&incident[body]=b&incident[__proto__][polluted]=yes&__proto__[polluted]=yes&incident[constructor][prototype][polluted]=yes',
    );
    expect(response.statusCode).toBe(201);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers NUL bytes and over-long values with 422 naming the field', async () => {
    const nul = await call('POST', `/v1/pages/${pageId}/incidents`, { body: { incident: { name: 'a\u0000b', body: 'b' } } });
    expect([400, 422]).toContain(nul.statusCode);
    expect(nul.json().error).toMatch(/^incident\.name: .*NUL/);
    const long = await call('POST', `/v1/pages/${pageId}/incidents`, { body: { incident: { name: 'x'.repeat(256), body: 'b' } } });
    expect(long.statusCode).toBe(422);
    expect(long.json().error).toBe('name: must be at most 255 characters');
  });

  it('keeps deep form nesting bounded', async () => {
    const response = await form(`incident[name]=Deep&incident[body]=b&incident[components]${'[a]'.repeat(50)}=major_outage`);
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(/^components\./);
  });

  it('takes an impersonating operator header for nothing', async () => {
    const response = await call('GET', `/v1/pages/${pageId}`, { token: null, headers: { 'x-lifeline-operator': 'guess' } });
    expect(response.statusCode).toBe(401);
  });
});
