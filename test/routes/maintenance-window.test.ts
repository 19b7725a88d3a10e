import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDueMaintenances } from '../../src/services/maintenances/run-due-maintenances.ts';
import { consoleClient, type ConsoleSession } from '../helpers/console-client.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/**
 * A maintenance window must end in the future: one that has already ended used to be accepted,
 * then started and completed at once by the scheduler, sending three notices about nothing.
 * A window that began in the past but ends in the future starts now.
 */
let t: TestApp;
let writer: string;
let client: ReturnType<typeof consoleClient>;
let responder: ConsoleSession;

beforeAll(async () => {
  t = await startTestApp();
  writer = await t.token('maintenances:write');
  client = consoleClient(t);
  await client.account('responder@acme.example', 'responder');
  responder = await client.signIn('responder@acme.example');
});
afterAll(() => t.close());

const HOUR = 3_600_000;
/** An instant `hours` from the test clock's now, as the API takes it. */
const fromNow = (hours: number) => new Date(t.clock.now().getTime() + hours * HOUR).toISOString();
/** The same, as the console's `datetime-local` field sends it (minutes, UTC). */
const consoleTime = (hours: number) => fromNow(hours).slice(0, 16);

const schedule = (payload: object) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/maintenances',
    payload: { name: 'DB upgrade', body: 'Read-only.', ...payload },
    headers: { authorization: `Bearer ${writer}` },
  });
const eventsOf = async (id: string) =>
  (await t.db.query<{ type: string }>("SELECT type FROM outbox_event WHERE payload->>'incident_id' = $1 ORDER BY id", [id])).map((e) => e.type);
const countMaintenances = async () => (await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM incident WHERE kind = 'maintenance'"))[0].n;

describe('scheduling a maintenance through the API', () => {
  it.each([
    ['has entirely passed', -3, -2, /must be in the future/],
    ['ends right now', -1, 0, /must be in the future/],
    ['ends before it starts', 2, 1, /must be after scheduled_for/],
    ['ends when it starts', 2, 2, /must be after scheduled_for/],
  ])('refuses a window that %s with 400 naming scheduled_until, and announces nothing', async (_, from, until, message) => {
    const before = await countMaintenances();
    const response = await schedule({ scheduled_for: fromNow(from), scheduled_until: fromNow(until), components: ['eu-api'] });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_input', field: 'scheduled_until' });
    expect(response.json().message).toMatch(message);
    expect(await countMaintenances()).toBe(before);
    expect(await runDueMaintenances(t.app.serviceContext(labelledOperator('system:scheduler')))).toEqual({ started: [], completed: [] });
  });

  it('starts a window that began in the past and ends in the future now, with one update and one notice', async () => {
    const euApi = await t.componentId('eu-api');
    t.clock.advance(60_000); // past the page sync's first history rows
    const response = await schedule({ scheduled_for: fromNow(-0.5), scheduled_until: fromNow(1), components: ['eu-api'] });
    expect(response.statusCode, response.body).toBe(201);
    const maintenance = response.json();
    expect(maintenance).toMatchObject({
      status: 'in_progress',
      started_at: t.clock.now().toISOString(),
      scheduled_for: fromNow(-0.5),
      scheduled_until: fromNow(1),
    });
    expect(maintenance.incident_updates.map((u: { status: string; body: string }) => [u.status, u.body])).toEqual([['in_progress', 'Read-only.']]);
    expect(maintenance.incident_updates[0].affected_components).toEqual([
      { code: euApi, name: 'Europe - API', old_status: 'operational', new_status: 'under_maintenance' },
    ]);
    expect(maintenance.components.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([[euApi, 'under_maintenance']]);
    const read = await t.app.inject({ method: 'GET', url: `/api/v1/maintenances/${maintenance.id}`, headers: { authorization: `Bearer ${writer}` } });
    expect(read.json()).toEqual(maintenance);
    expect(await eventsOf(maintenance.id)).toEqual(['maintenance.started']);
    const history = await t.db.query<{ status: string; incident_id: string }>(
      'SELECT status, incident_id FROM component_status_change WHERE component_id = $1 AND changed_at = $2',
      [euApi, t.clock.now()],
    );
    expect(history).toEqual([{ status: 'under_maintenance', incident_id: maintenance.id }]);

    const ctx = t.app.serviceContext(labelledOperator('system:scheduler'));
    expect(await runDueMaintenances(ctx)).toEqual({ started: [], completed: [] });
    t.clock.advance(HOUR + 1000);
    expect(await runDueMaintenances(ctx)).toEqual({ started: [], completed: [maintenance.id] });
    expect(await eventsOf(maintenance.id)).toEqual(['maintenance.started', 'maintenance.completed']);
  });

  it('leaves a window that began in the past scheduled when it does not start by itself', async () => {
    const response = await schedule({ scheduled_for: fromNow(-0.5), scheduled_until: fromNow(1), auto_start: false });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ status: 'scheduled' });
    expect(await eventsOf(response.json().id)).toEqual(['maintenance.scheduled']);
    expect(await runDueMaintenances(t.app.serviceContext(labelledOperator('system:scheduler')))).toEqual({ started: [], completed: [] });
  });
});

describe('scheduling a maintenance in the console', () => {
  const submit = async (fields: Record<string, string>) => {
    const form = await client.get('/console/maintenances/new', responder);
    const formId = (/name="form_id" value="([^"]+)"/.exec(form.body) as RegExpExecArray)[1];
    return client.post(
      '/console/maintenances',
      { _csrf: responder.csrf, form_id: formId, name: 'Console window', body: 'Read-only.', auto_start: 'on', auto_complete: 'on', ...fields },
      responder,
    );
  };

  it('shows the error next to the until field for a window that has passed, keeping what was typed', async () => {
    const before = await countMaintenances();
    const response = await submit({ from: consoleTime(-3), until: consoleTime(-2) });
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatch(/id="until-error">must be in the future/);
    expect(response.body).toContain(`value="${consoleTime(-3)}"`);
    expect(await countMaintenances()).toBe(before);
  });

  it('starts a window that began a moment ago now', async () => {
    // The form has minutes: "from" is the current minute, seconds ago.
    t.clock.advance(30_000);
    const response = await submit({ from: consoleTime(0), until: consoleTime(2), components: await t.componentId('us-api') });
    expect(response.statusCode, response.body).toBe(303);
    expect(response.headers.location).toBe('/console?done=maintenance-started');
    expect((await client.get(String(response.headers.location), responder)).body).toContain('Maintenance started: its window had already begun');
    const [row] = await t.db.query<{ status: string }>("SELECT status FROM incident WHERE name = 'Console window'");
    expect(row.status).toBe('in_progress');
    expect((await t.db.query<{ status: string }>("SELECT status FROM component WHERE key = 'us-api'"))[0].status).toBe('under_maintenance');
  });
});
