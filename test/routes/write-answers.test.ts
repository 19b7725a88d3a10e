import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declareIncident } from '../../src/services/incidents/declare-incident.ts';
import { openEpisode } from '../../src/storage/heartbeat-episode-repository.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/**
 * Every write answers with the state it committed: the answer equals what a GET right after it
 * shows, component statuses included (they used to be read before the write).
 */
let t: TestApp;
let writer: string;

beforeAll(async () => {
  t = await startTestApp();
  writer = await t.token('incidents:write', 'components:write', 'maintenances:write');
});
afterAll(() => t.close());

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${writer}` } });

/** The write's answer, checked against a GET of the same thing made right after it. */
async function expectAnswerIsCommittedState(write: Awaited<ReturnType<typeof call>>, readUrl: string, expectedStatus: number) {
  expect(write.statusCode, write.body).toBe(expectedStatus);
  const answer = write.json();
  const read = (await call('GET', readUrl)).json();
  expect(answer.components.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual(
    read.components.map((c: { id: string; status: string }) => [c.id, c.status]),
  );
  expect(answer).toEqual(read);
  return answer;
}

const statusOf = (answer: { components: { id: string; status: string }[] }, id: string) => answer.components.find((c) => c.id === id)?.status;

describe('incident writes answer with the committed state', () => {
  it('declaring shows the components at the statuses it set', async () => {
    const usApi = await t.componentId('us-api');
    const write = await call('POST', '/api/v1/incidents', { name: 'API down', body: 'Looking.', components: { [usApi]: 'major_outage' } });
    const answer = await expectAnswerIsCommittedState(write, `/api/v1/incidents/${write.json().id}`, 201);
    expect(statusOf(answer, usApi)).toBe('major_outage');
  });

  it('an update and a resolution show the statuses they set or restored, and their timestamps', async () => {
    const usMessaging = await t.componentId('us-messaging');
    const incident = (
      await call('POST', '/api/v1/incidents', { name: 'Slow messages', body: 'Looking.', components: { 'us-messaging': 'degraded_performance' } })
    ).json();
    t.clock.advance(60_000);
    const update = await call('POST', `/api/v1/incidents/${incident.id}/updates`, {
      status: 'monitoring',
      body: 'Worse, then fixed.',
      components: { 'us-messaging': 'partial_outage' },
    });
    const updated = await expectAnswerIsCommittedState(update, `/api/v1/incidents/${incident.id}`, 201);
    expect(statusOf(updated, usMessaging)).toBe('partial_outage');
    expect(updated.monitoring_at).toBe(t.clock.now().toISOString());
    t.clock.advance(60_000);
    const resolve = await call('POST', `/api/v1/incidents/${incident.id}/updates`, { status: 'resolved', body: 'Fixed.' });
    const resolved = await expectAnswerIsCommittedState(resolve, `/api/v1/incidents/${incident.id}`, 201);
    expect(statusOf(resolved, usMessaging)).toBe('operational');
    expect(resolved.resolved_at).toBe(t.clock.now().toISOString());
  });

  it('an idempotent replay answers the same committed state', async () => {
    const euApi = await t.componentId('eu-api');
    const payload = { name: 'EU API errors', body: 'Looking.', components: { 'eu-api': 'partial_outage' } };
    const first = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      payload,
      headers: { authorization: `Bearer ${writer}`, 'idempotency-key': 'write-answer-1' },
    });
    expect(statusOf(await expectAnswerIsCommittedState(first, `/api/v1/incidents/${first.json().id}`, 201), euApi)).toBe('partial_outage');
    const replay = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      payload,
      headers: { authorization: `Bearer ${writer}`, 'idempotency-key': 'write-answer-1' },
    });
    expect(replay.json()).toEqual(first.json());
    await call('POST', `/api/v1/incidents/${first.json().id}/updates`, { status: 'resolved', body: 'Fixed.' });
  });
});

describe('maintenance writes answer with the committed state', () => {
  it('scheduling, starting, verifying and completing each answer what a GET shows', async () => {
    const euMessaging = await t.componentId('eu-messaging');
    const schedule = await call('POST', '/api/v1/maintenances', {
      name: 'DB upgrade',
      body: 'Read-only.',
      components: ['eu-messaging'],
      scheduled_for: new Date(t.clock.now().getTime() + 3_600_000).toISOString(),
      scheduled_until: new Date(t.clock.now().getTime() + 7_200_000).toISOString(),
    });
    const id = schedule.json().id;
    expect(statusOf(await expectAnswerIsCommittedState(schedule, `/api/v1/maintenances/${id}`, 201), euMessaging)).toBe('operational');
    t.clock.advance(60_000);
    const started = await expectAnswerIsCommittedState(await call('POST', `/api/v1/maintenances/${id}/start`, {}), `/api/v1/maintenances/${id}`, 200);
    expect([started.status, statusOf(started, euMessaging), started.started_at]).toEqual(['in_progress', 'under_maintenance', t.clock.now().toISOString()]);
    t.clock.advance(60_000);
    const verifying = await expectAnswerIsCommittedState(await call('POST', `/api/v1/maintenances/${id}/verify`, {}), `/api/v1/maintenances/${id}`, 200);
    expect([verifying.status, verifying.monitoring_at]).toEqual(['verifying', t.clock.now().toISOString()]);
    t.clock.advance(60_000);
    const completed = await expectAnswerIsCommittedState(await call('POST', `/api/v1/maintenances/${id}/complete`, {}), `/api/v1/maintenances/${id}`, 200);
    expect([completed.status, statusOf(completed, euMessaging), completed.resolved_at]).toEqual(['completed', 'operational', t.clock.now().toISOString()]);
  });
});

describe('component status writes answer with the committed state', () => {
  it('PATCH answers the status it set, as the component list shows it', async () => {
    const website = await t.componentId('website');
    const write = await call('PATCH', `/api/v1/components/${website}`, { status: 'degraded_performance' });
    expect(write.statusCode, write.body).toBe(200);
    const listed = (await call('GET', '/api/v1/components')).json().components.find((c: { id: string }) => c.id === website);
    expect(write.json()).toEqual(listed);
    expect(write.json().status).toBe('degraded_performance');
    await call('PATCH', `/api/v1/components/${website}`, { status: 'operational' });
  });
});

describe('automatic notice decisions answer with the committed state', () => {
  /** An automatic notice as the detector leaves it: a heartbeat incident with its open episode. */
  async function automaticNotice(region: string) {
    const notice = await declareIncident(
      t.app.serviceContext(labelledOperator('system:heartbeat')),
      {
        name: `Reduced activity in ${region}`,
        body: 'We are seeing reduced activity.',
        components: { [`${region}-messaging`]: 'degraded_performance' },
      },
      { source: 'heartbeat' },
    );
    await openEpisode(t.db, { metric: 'messages-created', region }, { startedAt: t.clock.now(), tier: 'major', incidentId: notice.id });
    return notice;
  }

  it('taking a notice over with component statuses answers them', async () => {
    const euMessaging = await t.componentId('eu-messaging');
    const notice = await automaticNotice('eu');
    t.clock.advance(60_000);
    const write = await call('POST', `/api/v1/incidents/${notice.id}/convert`, {
      status: 'identified',
      body: 'Failover stalled.',
      components: { 'eu-messaging': 'major_outage' },
    });
    const answer = await expectAnswerIsCommittedState(write, `/api/v1/incidents/${notice.id}`, 200);
    expect([answer.source, statusOf(answer, euMessaging)]).toEqual(['responder', 'major_outage']);
    await call('POST', `/api/v1/incidents/${notice.id}/updates`, { status: 'resolved', body: 'Fixed.' });
  });

  it('dismissing a notice answers its components restored', async () => {
    const usMessaging = await t.componentId('us-messaging');
    const notice = await automaticNotice('us');
    t.clock.advance(60_000);
    const write = await call('POST', `/api/v1/incidents/${notice.id}/dismiss`, { reason: 'load test' });
    const answer = await expectAnswerIsCommittedState(write, `/api/v1/incidents/${notice.id}`, 200);
    expect([answer.status, statusOf(answer, usMessaging)]).toEqual(['resolved', 'operational']);
  });
});
