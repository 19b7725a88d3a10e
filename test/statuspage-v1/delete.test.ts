// Deleting an incident or maintenance, as Statuspage's DELETE /pages/{id}/incidents/{id} does, and
// the native API's DELETE: one use-case (services/incidents/delete-incident.ts) behind both doors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTORS } from '../../src/domain/actor.ts';
import { runDueMaintenances } from '../../src/services/maintenances/run-due-maintenances.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { UNLIMITED } from './rate-limit.ts';

let t: TestApp;
let writer: string;
let pageId: string;
let usApi: string;
let euApi: string;

type Headers = Record<string, string>;
const v1 = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, options: { body?: object; token?: string; headers?: Headers } = {}) =>
  t.app.inject({ method, url, payload: options.body, headers: { authorization: `OAuth ${options.token ?? writer}`, ...options.headers } });
const create = async (incident: Record<string, unknown>) => {
  const response = await v1('POST', `/v1/pages/${pageId}/incidents`, { body: { incident } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as { id: string; status: string };
};
const componentStatus = async (id: string) => (await v1('GET', `/v1/pages/${pageId}/components/${id}`)).json().status as string;
const ids = (list: { id: string }[]) => list.map((item) => item.id);

beforeAll(async () => {
  t = await startTestApp({ env: UNLIMITED });
  writer = await t.token('incidents:write', 'maintenances:write');
  pageId = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json().page.id;
  usApi = await t.componentId('us-api');
  euApi = await t.componentId('eu-api');
});
afterAll(() => t.close());

describe('DELETE /v1/pages/{page}/incidents/{id}', () => {
  it('answers 200 with the deleted incident in v1 shape; it is gone from every list, document and the native API', async () => {
    const incident = await create({ name: 'Wrong page, sorry', status: 'identified', body: 'Oops', components: { [euApi]: 'major_outage' } });
    await t.settle();
    expect(ids((await t.app.inject({ method: 'GET', url: '/api/v2/incidents/unresolved.json' })).json().incidents)).toContain(incident.id);

    const response = await v1('DELETE', `/v1/pages/${pageId}/incidents/${incident.id}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      id: incident.id,
      name: 'Wrong page, sorry',
      status: 'identified',
      page_id: pageId,
      impact_override: null,
      postmortem_body: null,
      incident_updates: [{ body: 'Oops', wants_twitter_update: false }],
    });
    // The component it held is back to operational (nothing else holds it), in the answer and on the page.
    expect(response.json().components).toEqual([expect.objectContaining({ id: euApi, status: 'operational' })]);
    expect(await componentStatus(euApi)).toBe('operational');

    expect((await v1('GET', `/v1/pages/${pageId}/incidents/${incident.id}`)).statusCode).toBe(404);
    expect(ids((await v1('GET', `/v1/pages/${pageId}/incidents/unresolved`)).json())).not.toContain(incident.id);
    expect(ids((await v1('GET', `/v1/pages/${pageId}/incidents`)).json())).not.toContain(incident.id);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}`, headers: { authorization: `Bearer ${writer}` } })).statusCode).toBe(
      404,
    );
    await t.settle();
    for (const document of ['/api/v2/summary.json', '/api/v2/incidents.json', '/api/v2/incidents/unresolved.json']) {
      expect((await t.app.inject({ method: 'GET', url: document })).body, document).not.toContain(incident.id);
    }
    const summary = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json();
    expect(summary.components.find((c: { id: string }) => c.id === euApi).status).toBe('operational');
    expect((await t.app.inject({ method: 'GET', url: '/history.atom' })).body).not.toContain(incident.id);

    // A second DELETE finds nothing.
    expect((await v1('DELETE', `/v1/pages/${pageId}/incidents/${incident.id}`)).statusCode).toBe(404);
  });

  it('keeps the record: an audit row naming the incident, and no notification', async () => {
    const incident = await create({ name: 'Audited away', body: 'b', deliver_notifications: true });
    const eventsBefore = await t.db.query<{ id: number }>('SELECT id FROM outbox_event');
    expect((await v1('DELETE', `/v1/pages/${pageId}/incidents/${incident.id}`)).statusCode).toBe(200);
    const audit = await t.db.query<{ action: string; actor: string; details: { name: string } }>(
      'SELECT action, actor, details FROM audit_log WHERE target_id = $1 ORDER BY id',
      [incident.id],
    );
    expect(audit.map((row) => row.action)).toEqual(['incident.created', 'incident.deleted']);
    expect(audit[1].actor).toMatch(/^token:/);
    expect(audit[1].details.name).toBe('Audited away');
    // The deletion announces nothing, and what was not yet sent about the incident is withdrawn.
    expect(await t.db.query('SELECT id FROM outbox_event')).toHaveLength(eventsBefore.length);
    const pending = await t.db.query("SELECT id FROM outbox_event WHERE payload->>'incident_id' = $1 AND dispatched_at IS NULL", [incident.id]);
    expect(pending).toEqual([]);
    // The row stays for the record, marked deleted.
    const [row] = await t.db.query<{ deleted_at: Date | null }>('SELECT deleted_at FROM incident WHERE id = $1', [incident.id]);
    expect(row.deleted_at).toEqual(t.clock.now());
  });

  it('dead-letters pending deliveries about the incident with the reason', async () => {
    const incident = await create({ name: 'Pending notices', body: 'b' });
    const [event] = await t.db.query<{ id: number }>("SELECT id FROM outbox_event WHERE payload->>'incident_id' = $1", [incident.id]);
    const subscriber = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/subscribers',
        payload: { type: 'email', email: 'pending@example.org', confirmed: true },
        headers: { authorization: `Bearer ${await t.token('subscribers:write')}` },
      })
    ).json();
    await t.db.query("INSERT INTO delivery (event_id, subscriber_id, channel, next_attempt_at, created_at) VALUES ($1, $2, 'email', now(), now())", [
      event.id,
      subscriber.id,
    ]);
    expect((await v1('DELETE', `/v1/pages/${pageId}/incidents/${incident.id}`)).statusCode).toBe(200);
    const deliveries = await t.db.query<{ state: string; last_error: string }>('SELECT state, last_error FROM delivery WHERE event_id = $1', [event.id]);
    expect(deliveries).toEqual([{ state: 'dead', last_error: 'incident deleted' }]);
  });

  it('gives a component back to what the other open incidents say of it, not to operational', async () => {
    const keeping = await create({ name: 'Still going', body: 'b', components: { [usApi]: 'degraded_performance' } });
    const deleting = await create({ name: 'Worse, but a mistake', body: 'b', components: { [usApi]: 'major_outage' } });
    expect(await componentStatus(usApi)).toBe('major_outage');
    expect((await v1('DELETE', `/v1/pages/${pageId}/incidents/${deleting.id}`)).statusCode).toBe(200);
    expect(await componentStatus(usApi)).toBe('degraded_performance');
    // Resolving the other one still lets go of it as before (the deleted incident holds nothing any more).
    await v1('PATCH', `/v1/pages/${pageId}/incidents/${keeping.id}`, { body: { incident: { status: 'resolved' } } });
    expect(await componentStatus(usApi)).toBe('operational');
  });

  it('leaves a resolved incident’s components alone', async () => {
    const incident = await create({ name: 'Old news', body: 'b', components: { [usApi]: 'partial_outage' } });
    await v1('PATCH', `/v1/pages/${pageId}/incidents/${incident.id}`, { body: { incident: { status: 'resolved' } } });
    await v1('PATCH', `/v1/pages/${pageId}/components/${usApi}`, {
      body: { component: { status: 'degraded_performance' } },
      token: await t.token('components:write'),
    });
    expect((await v1('DELETE', `/v1/pages/${pageId}/incidents/${incident.id}`)).statusCode).toBe(200);
    expect(await componentStatus(usApi)).toBe('degraded_performance');
    await v1('PATCH', `/v1/pages/${pageId}/components/${usApi}`, { body: { component: { status: 'operational' } }, token: await t.token('components:write') });
  });

  it('deletes a maintenance under way: its components leave maintenance, and the lists drop it', async () => {
    const until = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    const maintenance = await create({ name: 'Patching', status: 'in_progress', scheduled_until: until, component_ids: [euApi] });
    expect(await componentStatus(euApi)).toBe('under_maintenance');
    const response = await v1('DELETE', `/v1/pages/${pageId}/incidents/${maintenance.id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: maintenance.id, status: 'in_progress', scheduled_until: until });
    expect(await componentStatus(euApi)).toBe('operational');
    expect(ids((await v1('GET', `/v1/pages/${pageId}/incidents/active_maintenance`)).json())).not.toContain(maintenance.id);
    expect(ids((await v1('GET', `/v1/pages/${pageId}/incidents/scheduled`)).json())).not.toContain(maintenance.id);
    const audit = await t.db.query<{ action: string }>('SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id', [maintenance.id]);
    expect(audit.at(-1)?.action).toBe('maintenance.deleted');
  });

  it('a deleted scheduled maintenance never starts', async () => {
    const at = (hours: number) => new Date(t.clock.now().getTime() + hours * 3_600_000).toISOString();
    const maintenance = await create({
      name: 'Never happens',
      status: 'scheduled',
      scheduled_for: at(1),
      scheduled_until: at(2),
      scheduled_auto_in_progress: true,
      component_ids: [euApi],
    });
    expect((await v1('DELETE', `/v1/pages/${pageId}/incidents/${maintenance.id}`)).statusCode).toBe(200);
    t.clock.advance(90 * 60_000);
    // The maintenance job's tick, as the worker runs it.
    expect(await runDueMaintenances(t.app.serviceContext(SYSTEM_ACTORS.scheduler))).toEqual({ started: [], completed: [] });
    expect(await componentStatus(euApi)).toBe('operational');
    const [row] = await t.db.query<{ status: string }>('SELECT status FROM incident WHERE id = $1', [maintenance.id]);
    expect(row.status).toBe('scheduled');
  });

  it('asks for the scope of the kind it deletes, and answers 404 for another page or an unknown id', async () => {
    const incident = await create({ name: 'Guarded', body: 'b' });
    const until = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    const maintenance = await create({ name: 'Guarded window', status: 'in_progress', scheduled_until: until });
    const maintainer = await t.token('maintenances:write');
    const responder = await t.token('incidents:write');
    const refused = await v1('DELETE', `/v1/pages/${pageId}/incidents/${incident.id}`, { token: maintainer });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ error: expect.stringContaining('incidents:write'), message: expect.stringContaining('incidents:write') });
    expect((await v1('DELETE', `/v1/pages/${pageId}/incidents/${maintenance.id}`, { token: responder })).statusCode).toBe(403);
    expect((await v1('DELETE', `/v1/pages/${pageId}/incidents/${incident.id}`, { token: await t.token('components:write') })).statusCode).toBe(403);
    expect((await v1('DELETE', `/v1/pages/other-page/incidents/${incident.id}`)).statusCode).toBe(404);
    const unknown = await v1('DELETE', `/v1/pages/${pageId}/incidents/nope`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: expect.any(String), message: expect.any(String) });
    expect((await v1('DELETE', `/v1/pages/${pageId}/incidents/${incident.id}`, { token: 'lfl_wrong_wrong' })).statusCode).toBe(401);
    const nul = await v1('DELETE', `/v1/pages/${pageId}/incidents/a%00b`);
    expect([400, 422]).toContain(nul.statusCode);
    expect(nul.json().error).toMatch(/incident_id: .*NUL/);
    // Nothing was deleted by the refusals.
    expect((await v1('GET', `/v1/pages/${pageId}/incidents/${incident.id}`)).statusCode).toBe(200);
    expect((await v1('GET', `/v1/pages/${pageId}/incidents/${maintenance.id}`)).statusCode).toBe(200);
  });

  it('replays a retried DELETE with the same Idempotency-Key', async () => {
    const incident = await create({ name: 'Retried', body: 'b' });
    const headers = { 'idempotency-key': `delete-${incident.id}` };
    const first = await v1('DELETE', `/v1/pages/${pageId}/incidents/${incident.id}`, { headers });
    const again = await v1('DELETE', `/v1/pages/${pageId}/incidents/${incident.id}`, { headers });
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    // Without the key, a second DELETE finds nothing, as on Statuspage.
    expect((await v1('DELETE', `/v1/pages/${pageId}/incidents/${incident.id}`)).statusCode).toBe(404);
  });
});

describe('DELETE /api/v1/incidents/{id} and /api/v1/maintenances/{id} (the native API, same use-case)', () => {
  const api = (method: 'GET' | 'DELETE', url: string, token = writer) => t.app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });

  it('deletes an incident, refuses a maintenance id on the incident path, and the other way round', async () => {
    const incident = await create({ name: 'Native delete', body: 'b', components: { [usApi]: 'partial_outage' } });
    const until = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    const maintenance = await create({ name: 'Native window', status: 'in_progress', scheduled_until: until });
    expect((await api('DELETE', `/api/v1/incidents/${maintenance.id}`)).statusCode).toBe(404);
    expect((await api('DELETE', `/api/v1/maintenances/${incident.id}`)).statusCode).toBe(404);
    const deleted = await api('DELETE', `/api/v1/incidents/${incident.id}`);
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(deleted.json()).toMatchObject({ id: incident.id, name: 'Native delete' });
    expect(await componentStatus(usApi)).toBe('operational');
    expect((await api('GET', `/api/v1/incidents/${incident.id}`)).statusCode).toBe(404);
    expect((await api('DELETE', `/api/v1/maintenances/${maintenance.id}`, await t.token('incidents:write'))).statusCode).toBe(403);
    expect((await api('DELETE', `/api/v1/maintenances/${maintenance.id}`)).statusCode).toBe(200);
    expect((await api('GET', `/api/v1/maintenances/${maintenance.id}`)).statusCode).toBe(404);
  });
});
