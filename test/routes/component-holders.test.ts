import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * A component is held by every open incident that set its status and every maintenance in
 * progress on it. When one holder lets go (an incident resolves, a maintenance completes), the
 * component takes the worst status its remaining holders imply, or operational when none is left,
 * and the history the uptime bars read records that change.
 */
let t: TestApp;
let writer: string;
let website: string;

beforeAll(async () => {
  t = await startTestApp();
  writer = await t.token('incidents:write', 'maintenances:write');
  website = await t.componentId('website');
});
afterAll(() => t.close());
// Each step a minute apart, so the history rows are ordered by time.
beforeEach(() => t.clock.advance(3_600_000));

const post = async (url: string, payload: object) => {
  t.clock.advance(60_000);
  const response = await t.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${writer}` } });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json();
};
const declare = (status: string) => post('/api/v1/incidents', { name: `Website ${status}`, body: 'Looking.', components: { website: status } });
const resolve = (id: string) => post(`/api/v1/incidents/${id}/updates`, { status: 'resolved', body: 'Fixed.' });
async function startMaintenance() {
  const now = t.clock.now().getTime();
  const maintenance = await post('/api/v1/maintenances', {
    name: 'Website deploy',
    body: 'Deploying.',
    components: ['website'],
    auto_start: false,
    scheduled_for: new Date(now + 3_600_000).toISOString(),
    scheduled_until: new Date(now + 7_200_000).toISOString(),
  });
  return post(`/api/v1/maintenances/${maintenance.id}/start`, {});
}
const complete = (id: string) => post(`/api/v1/maintenances/${id}/complete`, {});

async function websiteStatus(): Promise<string> {
  return (await t.db.query<{ status: string }>('SELECT status FROM component WHERE id = $1', [website]))[0].status;
}
/** The last entry of the website's status history: what the uptime bars see. */
async function lastHistory(): Promise<{ status: string; changed_at: string; incident_id: string | null }> {
  const rows = await t.db.query<{ status: string; changed_at: Date; incident_id: string | null }>(
    'SELECT status, changed_at, incident_id FROM component_status_change WHERE component_id = $1 ORDER BY changed_at DESC, id DESC LIMIT 1',
    [website],
  );
  return { ...rows[0], changed_at: new Date(rows[0].changed_at).toISOString() };
}

describe('an incident resolving while a maintenance is in progress', () => {
  it("puts the component under maintenance, not operational nor left at the incident's status", async () => {
    const maintenance = await startMaintenance();
    const incident = await declare('partial_outage');
    expect(await websiteStatus()).toBe('partial_outage');
    const resolved = await resolve(incident.id);
    expect(await websiteStatus()).toBe('under_maintenance');
    expect(await lastHistory()).toEqual({ status: 'under_maintenance', changed_at: t.clock.now().toISOString(), incident_id: incident.id });
    expect(resolved.incident_updates[0].affected_components).toEqual([
      { code: website, name: 'Website', old_status: 'partial_outage', new_status: 'under_maintenance' },
    ]);
    await complete(maintenance.id);
    expect(await websiteStatus()).toBe('operational');
    expect(await lastHistory()).toMatchObject({ status: 'operational', incident_id: maintenance.id });
  });
});

describe('a maintenance completing while an incident is open', () => {
  it('gives the component back the status the incident set', async () => {
    const incident = await declare('degraded_performance');
    const maintenance = await startMaintenance();
    expect(await websiteStatus()).toBe('under_maintenance');
    const completed = await complete(maintenance.id);
    expect(await websiteStatus()).toBe('degraded_performance');
    expect(await lastHistory()).toEqual({ status: 'degraded_performance', changed_at: t.clock.now().toISOString(), incident_id: maintenance.id });
    expect(completed.incident_updates[0].affected_components).toEqual([
      { code: website, name: 'Website', old_status: 'under_maintenance', new_status: 'degraded_performance' },
    ]);
    await resolve(incident.id);
    expect(await websiteStatus()).toBe('operational');
  });

  it("uses the status of the incident's latest update that named the component", async () => {
    const incident = await declare('major_outage');
    await post(`/api/v1/incidents/${incident.id}/updates`, { status: 'monitoring', body: 'Mostly back.', components: { website: 'degraded_performance' } });
    const maintenance = await startMaintenance();
    await complete(maintenance.id);
    expect(await websiteStatus()).toBe('degraded_performance');
    await resolve(incident.id);
    expect(await websiteStatus()).toBe('operational');
  });
});

describe('two incidents holding the same component', () => {
  it('takes the status of the one still open when the other resolves, whichever set it last', async () => {
    const major = await declare('major_outage');
    const degraded = await declare('degraded_performance');
    expect(await websiteStatus()).toBe('degraded_performance'); // the latest update's word, as in Statuspage
    await resolve(degraded.id);
    expect(await websiteStatus()).toBe('major_outage');
    expect(await lastHistory()).toMatchObject({ status: 'major_outage', incident_id: degraded.id });
    await resolve(major.id);
    expect(await websiteStatus()).toBe('operational');
    expect(await lastHistory()).toMatchObject({ status: 'operational', incident_id: major.id });
  });

  it('takes the worst of the remaining holders, a maintenance in progress among them', async () => {
    const maintenance = await startMaintenance();
    const partial = await declare('partial_outage');
    const degraded = await declare('degraded_performance');
    const major = await declare('major_outage');
    await resolve(major.id);
    expect(await websiteStatus()).toBe('partial_outage');
    await resolve(partial.id);
    expect(await websiteStatus()).toBe('degraded_performance');
    await resolve(degraded.id);
    expect(await websiteStatus()).toBe('under_maintenance');
    await complete(maintenance.id);
    expect(await websiteStatus()).toBe('operational');
  });

  it('leaves a component the resolving update names at the status it gives', async () => {
    const other = await declare('major_outage');
    const incident = await declare('partial_outage');
    await post(`/api/v1/incidents/${incident.id}/updates`, { status: 'resolved', body: 'Fixed here.', components: { website: 'degraded_performance' } });
    expect(await websiteStatus()).toBe('degraded_performance');
    await resolve(other.id);
    expect(await websiteStatus()).toBe('operational');
  });
});
