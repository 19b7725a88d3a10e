import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../src/config.ts';
import { evaluateHeartbeats } from '../src/services/heartbeats/evaluate-heartbeats.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from './helpers/app.ts';
import { labelledOperator } from '../src/domain/actor.ts';

/** Flow 2 through the real app: pushes stop → automatic notice on the page and in summary.json → pushes resume → closed. */
const definition = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [{ key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['eu'] }],
});

describe('heartbeat detection end to end', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp({ definition });
    token = await t.token('heartbeats:write');
    // Three hours of steady traffic, 1,000 messages per 10 s bucket, up to the clock's "now".
    await t.db.query(
      `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at)
       SELECT 'messages-created', 'eu', b, 1000, b FROM generate_series($1::timestamptz - interval '3 hours', $1::timestamptz - interval '10 seconds', interval '10 seconds') AS b`,
      [t.clock.now()],
    );
  });
  afterAll(() => t.close());

  const tick = () =>
    evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), definition.heartbeats ?? [], { timeZone: 'UTC', maintenance: [] });
  const push = (at: Date, value: number) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/heartbeats',
      payload: { points: [{ metric: 'messages-created', region: 'eu', timestamp: at.toISOString(), value }] },
      headers: { authorization: `Bearer ${token}` },
    });
  const heartbeats = async () => (await t.app.inject({ method: 'GET', url: '/api/v2/heartbeats.json' })).json().heartbeats[0];

  it('stays quiet while traffic is normal', async () => {
    for (let i = 0; i < 3; i++) {
      await push(new Date(t.clock.now().getTime()), 1000);
      t.clock.advance(10_000);
      expect((await tick()).transitions).toEqual([]);
    }
    expect(await heartbeats()).toMatchObject({ metric: 'messages-created', region: 'eu', label: 'Messages created', state: 'ok' });
  });

  it('opens an automatic notice within 30 s of the pushes stopping, on the page and in summary.json', async () => {
    const stoppedAt = t.clock.now().getTime();
    let firedAfter: number | null = null;
    for (let i = 0; i < 12 && firedAfter === null; i++) {
      t.clock.advance(5_000);
      if ((await tick()).transitions.includes('fired:messages-created:eu')) firedAfter = t.clock.now().getTime() - stoppedAt;
    }
    expect(firedAfter).not.toBeNull();
    expect(firedAfter as number).toBeLessThanOrEqual(30_000);
    await t.settle();
    const summary = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json();
    expect(summary.incidents).toHaveLength(1);
    expect(summary.incidents[0]).toMatchObject({
      name: 'Reduced activity: Messages created in EU',
      status: 'investigating',
      impact: 'critical',
      source: 'heartbeat',
    });
    expect(summary.incidents[0].incident_updates[0].body).toMatch(/no messages created data from EU since .* and are investigating/);
    const page = (await t.app.inject({ method: 'GET', url: '/' })).body;
    expect(page).toContain('Reduced activity: Messages created in EU');
    expect(page).toContain('Automatic');
    expect(await heartbeats()).toMatchObject({ state: 'critical', since: expect.any(String) });
  });

  it('closes the notice when activity returns to normal', async () => {
    let recovered = false;
    for (let i = 0; i < 20 && !recovered; i++) {
      // The bucket in progress: it is closed (and evaluated) by the next tick.
      expect((await push(new Date(Math.floor(t.clock.now().getTime() / 10_000) * 10_000), 1000)).statusCode).toBe(202);
      t.clock.advance(10_000);
      recovered = (await tick()).transitions.includes('recovered:messages-created:eu');
    }
    expect(recovered).toBe(true);
    await t.settle();
    const summary = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json();
    expect(summary.incidents).toEqual([]);
    const [incident] = (await t.app.inject({ method: 'GET', url: '/api/v2/incidents.json' })).json().incidents;
    expect(incident.status).toBe('resolved');
    expect(incident.incident_updates[0].body).toContain('Activity has returned to normal');
    expect(await heartbeats()).toMatchObject({ state: 'ok' });
  });
});
