import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDueMaintenances } from '../../src/services/maintenances/run-due-maintenances.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

let t: TestApp;
let writer: string;
let usApi: string;
let usMessaging: string;

beforeAll(async () => {
  t = await startTestApp();
  writer = await t.token('incidents:write', 'components:write', 'maintenances:write');
  usApi = await t.componentId('us-api');
  usMessaging = await t.componentId('us-messaging');
});
afterAll(() => t.close());

const post = (url: string, payload: unknown, token = writer, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers: { authorization: `Bearer ${token}`, ...headers } });

describe('authentication and scopes', () => {
  it('answers 401 without a token or with an unknown one, naming how to authenticate', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/incidents' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: 'unauthorized' });
    const wrong = await t.app.inject({ method: 'GET', url: '/api/v1/incidents', headers: { authorization: 'Bearer lfl_nope_nope' } });
    expect(wrong.statusCode).toBe(401);
  });
  it('answers 403 when the token lacks the scope', async () => {
    const readOnly = await t.token('heartbeats:write');
    const response = await post('/api/v1/incidents', { name: 'x', body: 'y' }, readOnly);
    expect(response.statusCode).toBe(403);
    expect(response.json().message).toContain('incidents:write');
  });
  it('stops accepting a revoked token', async () => {
    const admin = await t.token('admin');
    const created = (await post('/api/v1/tokens', { name: 'short-lived', scopes: ['incidents:write'] }, admin)).json();
    expect(created.token).toMatch(/^lfl_/);
    const rows = await t.db.query('SELECT * FROM api_token WHERE id = $1', [created.id]);
    // only a hash is stored: no column holds the token itself
    expect(JSON.stringify(rows[0])).not.toContain(created.token);
    expect(rows[0].hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/incidents', headers: { authorization: `Bearer ${created.token}` } })).statusCode).toBe(200);
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${created.prefix}`, headers: { authorization: `Bearer ${admin}` } });
    expect(revoked.json().revoked_at).not.toBeNull();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/incidents', headers: { authorization: `Bearer ${created.token}` } })).statusCode).toBe(401);
  });
});

describe('declaring and updating incidents', () => {
  it('creates an incident with its first update, component statuses, audit row and outbox event', async () => {
    const response = await post('/api/v1/incidents', {
      name: 'Messages delayed in the US',
      status: 'investigating',
      body: 'We are **investigating** delays.',
      components: { [usMessaging]: 'major_outage', 'us-api': 'degraded_performance' },
    });
    expect(response.statusCode).toBe(201);
    const incident = response.json();
    expect(incident).toMatchObject({ name: 'Messages delayed in the US', status: 'investigating', impact: 'major', resolved_at: null });
    expect(incident.incident_updates).toHaveLength(1);
    expect(incident.incident_updates[0].affected_components).toEqual(
      expect.arrayContaining([{ code: usMessaging, name: 'United States - Messaging', old_status: 'operational', new_status: 'major_outage' }]),
    );
    expect(incident.components.map((c: { id: string }) => c.id).sort()).toEqual([usApi, usMessaging].sort());
    const components = (await t.app.inject({ method: 'GET', url: '/api/v1/components', headers: { authorization: `Bearer ${writer}` } })).json().components;
    expect(components.find((c: { id: string }) => c.id === usMessaging).status).toBe('major_outage');
    const audit = await t.db.query('SELECT actor, action FROM audit_log WHERE target_id = $1', [incident.id]);
    expect(audit).toEqual([{ actor: expect.stringMatching(/^token:/), action: 'incident.created' }]);
    const events = await t.db.query("SELECT type, payload FROM outbox_event WHERE payload->>'incident_id' = $1", [incident.id]);
    expect(events).toHaveLength(1);
    expect(events[0].type).toBe('incident.created');
  });

  it('moves through identified and monitoring, and resolving restores its components', async () => {
    const incident = (await post('/api/v1/incidents', { name: 'EU API errors', body: 'Investigating', components: { 'eu-api': 'partial_outage' } })).json();
    const euApi = await t.componentId('eu-api');
    for (const status of ['identified', 'monitoring']) {
      const response = await post(`/api/v1/incidents/${incident.id}/updates`, { status, body: `Now ${status}` });
      expect(response.statusCode).toBe(201);
      expect(response.json().status).toBe(status);
    }
    const resolved = (await post(`/api/v1/incidents/${incident.id}/updates`, { status: 'resolved', body: 'Fixed.' })).json();
    expect(resolved.status).toBe('resolved');
    expect(resolved.resolved_at).not.toBeNull();
    expect(resolved.monitoring_at).not.toBeNull();
    expect(resolved.incident_updates.map((u: { status: string }) => u.status)).toEqual(['resolved', 'monitoring', 'identified', 'investigating']);
    expect(resolved.incident_updates[0].affected_components).toEqual([
      { code: euApi, name: 'Europe - API', old_status: 'partial_outage', new_status: 'operational' },
    ]);
    const reopen = await post(`/api/v1/incidents/${incident.id}/updates`, { status: 'investigating', body: 'again?' });
    expect(reopen.statusCode).toBe(409);
  });

  it('leaves a component alone on resolution while another open incident holds it', async () => {
    const first = (await post('/api/v1/incidents', { name: 'one', body: 'b', components: { website: 'major_outage' } })).json();
    await post('/api/v1/incidents', { name: 'two', body: 'b', components: { website: 'major_outage' } });
    await post(`/api/v1/incidents/${first.id}/updates`, { status: 'resolved', body: 'done' });
    const [website] = await t.db.query("SELECT status FROM component WHERE key = 'website'");
    expect(website.status).toBe('major_outage');
  });

  it('renames an incident with PATCH: no update, no notice, an audit row with both names', async () => {
    const created = (await post('/api/v1/incidents', { name: 'Slow API', body: 'Looking into it' })).json();
    const events = async () => Number((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_event'))[0].n);
    const before = await events();
    const patch = (payload: object, token = writer) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/incidents/${created.id}`, payload, headers: { authorization: `Bearer ${token}` } });
    const renamed = await patch({ name: 'Slow API in Europe' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id: created.id, name: 'Slow API in Europe', status: 'investigating' });
    expect(renamed.json().incident_updates).toHaveLength(1);
    expect(await events()).toBe(before);
    const audit = await t.db.query<{ action: string; details: unknown }>(
      "SELECT action, details FROM audit_log WHERE action = 'incident.renamed' AND target_id = $1",
      [created.id],
    );
    expect(audit.map((row) => row.details)).toEqual([{ from: 'Slow API', to: 'Slow API in Europe' }]);

    expect((await patch({ name: '' })).statusCode).toBe(400);
    expect((await patch({ name: 'x', status: 'resolved' })).statusCode).toBe(400);
    expect((await patch({ name: 'Nope' }, await t.token('heartbeats:write'))).statusCode).toBe(403);
    const missing = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/incidents/nope',
      payload: { name: 'x' },
      headers: { authorization: `Bearer ${writer}` },
    });
    expect(missing.statusCode).toBe(404);
  });
});

describe('bad input', () => {
  it.each([
    [{ body: 'no name' }, 'name'],
    [{ name: '', body: 'x' }, 'name'],
    [{ name: 'x', body: 'x', status: 'exploding' }, 'status'],
    [{ name: 'x', body: 'x', impact: 'huge' }, 'impact'],
    [{ name: 'x', body: 'x', components: { 'us-api': 'on_fire' } }, 'components.us-api'],
    [{ name: 'x', body: 'x', components: { nope: 'major_outage' } }, 'components.nope'],
    [{ name: 'x', body: 'x', colour: 'red' }, 'colour'],
    [{ name: 42, body: 'x' }, 'name'],
  ])('answers 400 naming the field for %j', async (payload, field) => {
    const response = await post('/api/v1/incidents', payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_input', field });
    expect(response.json().message).toContain(field);
  });
  it('answers 400, not 500, for malformed JSON', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      payload: '{"name":',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).not.toContain('at ');
  });
  it('answers 404 for unknown incidents and components', async () => {
    expect((await post('/api/v1/incidents/doesnotexist/updates', { body: 'x' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/incidents/doesnotexist', headers: { authorization: `Bearer ${writer}` } })).statusCode).toBe(404);
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/components/nope',
      payload: { status: 'major_outage' },
      headers: { authorization: `Bearer ${writer}` },
    });
    expect(patch.statusCode).toBe(404);
  });
});

describe('Idempotency-Key', () => {
  it('returns the first response to a retry and creates nothing twice', async () => {
    const payload = { name: 'Retried declaration', body: 'once' };
    const first = await post('/api/v1/incidents', payload, writer, { 'idempotency-key': 'retry-1' });
    const second = await post('/api/v1/incidents', payload, writer, { 'idempotency-key': 'retry-1' });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().id).toBe(first.json().id);
    const rows = await t.db.query("SELECT count(*)::int AS n FROM incident WHERE name = 'Retried declaration'");
    expect(rows[0].n).toBe(1);
  });
  it('creates one incident when the same key arrives concurrently', async () => {
    const payload = { name: 'Concurrent declaration', body: 'once' };
    const responses = await Promise.all(Array.from({ length: 5 }, () => post('/api/v1/incidents', payload, writer, { 'idempotency-key': 'race-1' })));
    expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
    const rows = await t.db.query("SELECT count(*)::int AS n FROM incident WHERE name = 'Concurrent declaration'");
    expect(rows[0].n).toBe(1);
  });
  it('refuses a key reused for a different request', async () => {
    await post('/api/v1/incidents', { name: 'A', body: 'a' }, writer, { 'idempotency-key': 'reuse-1' });
    const response = await post('/api/v1/incidents', { name: 'B', body: 'b' }, writer, { 'idempotency-key': 'reuse-1' });
    expect(response.statusCode).toBe(422);
  });
  it('does not store a failed request, so a corrected retry goes through', async () => {
    expect(
      (await post('/api/v1/incidents', { name: 'C', body: 'c', components: { nope: 'major_outage' } }, writer, { 'idempotency-key': 'fix-1' })).statusCode,
    ).toBe(400);
    expect((await post('/api/v1/incidents', { name: 'C', body: 'c' }, writer, { 'idempotency-key': 'fix-1' })).statusCode).toBe(201);
  });
});

describe('components and maintenance', () => {
  it('sets a component status with PATCH', async () => {
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/components/${usApi}`,
      payload: { status: 'degraded_performance' },
      headers: { authorization: `Bearer ${writer}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: usApi, status: 'degraded_performance', group: false });
  });

  it('schedules, auto-starts and auto-completes a maintenance on the clock', async () => {
    const euMessaging = await t.componentId('eu-messaging');
    const created = await post('/api/v1/maintenances', {
      name: 'Database upgrade',
      body: 'Short read-only window.',
      scheduled_for: '2026-03-10T13:00:00Z',
      scheduled_until: '2026-03-10T14:00:00Z',
      components: ['eu-messaging'],
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ status: 'scheduled', impact: 'maintenance', scheduled_for: '2026-03-10T13:00:00.000Z' });
    const ctx = t.app.serviceContext(labelledOperator('system:scheduler'));
    expect(await runDueMaintenances(ctx)).toEqual({ started: [], completed: [] });
    t.clock.set('2026-03-10T13:00:01Z');
    expect((await runDueMaintenances(ctx)).started).toEqual([created.json().id]);
    expect((await t.db.query('SELECT status FROM component WHERE id = $1', [euMessaging]))[0].status).toBe('under_maintenance');
    t.clock.set('2026-03-10T14:00:01Z');
    expect((await runDueMaintenances(ctx)).completed).toEqual([created.json().id]);
    expect((await t.db.query('SELECT status FROM component WHERE id = $1', [euMessaging]))[0].status).toBe('operational');
    t.clock.set('2026-03-10T12:00:00Z');
  });

  it('starts and completes a maintenance by hand and rejects a window that ends before it starts', async () => {
    const bad = await post('/api/v1/maintenances', { name: 'x', body: 'y', scheduled_for: '2026-03-11T10:00:00Z', scheduled_until: '2026-03-11T09:00:00Z' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('scheduled_until');
    const m = (
      await post('/api/v1/maintenances', {
        name: 'Manual',
        body: 'y',
        scheduled_for: '2026-03-11T10:00:00Z',
        scheduled_until: '2026-03-11T11:00:00Z',
        auto_start: false,
      })
    ).json();
    expect((await post(`/api/v1/maintenances/${m.id}/start`, {})).json().status).toBe('in_progress');
    expect((await post(`/api/v1/maintenances/${m.id}/complete`, { body: 'All done.' })).json().status).toBe('completed');
    expect((await post(`/api/v1/maintenances/${m.id}/start`, {})).statusCode).toBe(409);
  });
});

describe('OpenAPI', () => {
  it('publishes the responder API with its schemas', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/incidents',
        '/api/v1/incidents/{id}/updates',
        '/api/v1/components',
        '/api/v1/components/{id}',
        '/api/v1/component-groups',
        '/api/v1/component-groups/{id}',
        '/api/v1/maintenances',
      ]),
    );
    expect(doc.paths['/api/v1/incidents'].post.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['name', 'body']));
  });
});
