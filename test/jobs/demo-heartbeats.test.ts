import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import { demoCount, startDemoHeartbeatsJob } from '../../src/jobs/demo-heartbeats-job.ts';
import { evaluateHeartbeats } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

const definition = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [{ key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['eu'] }],
});

describe('demo heartbeat traffic (LIFELINE_DEMO_HEARTBEATS)', () => {
  it('is deterministic and seasonal: busy afternoons, quiet nights and weekends', () => {
    const at = (iso: string) => demoCount('messages-created', 'eu', Date.parse(iso), 10);
    expect(at('2026-03-10T14:00:00Z')).toBe(at('2026-03-10T14:00:00Z'));
    const afternoon = at('2026-03-10T14:00:00Z'); // Tuesday, 15:00 in EU
    const night = at('2026-03-10T02:00:00Z');
    const saturday = at('2026-03-14T14:00:00Z');
    expect(afternoon).toBeGreaterThan(night * 3);
    expect(saturday).toBeLessThan(afternoon * 0.8);
    expect(saturday).toBeGreaterThan(afternoon * 0.4);
  });

  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ definition });
  });
  afterAll(() => t.close());

  it('seeds five weeks of history that gives the detector a weekly baseline and no false alarm', async () => {
    const stop = startDemoHeartbeatsJob({ ctx: t.app.serviceContext(labelledOperator('system:demo')), metrics: definition.heartbeats ?? [], log: t.app.log });
    await stop(); // waits for the seeding to finish
    const [rollups] = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM heartbeat_rollup WHERE resolution = '1m'");
    const [raw] = await t.db.query<{ n: number; newest: Date }>('SELECT count(*)::int AS n, max(bucket) AS newest FROM heartbeat_point');
    // 35 days of minutes: the seeded roll-ups, then the raw last 25 hours rolled up as well.
    expect(rollups.n).toBe(35 * 1440);
    expect(raw.n).toBe(25 * 360 + (t.clock.now().getTime() % 60_000) / 10_000);
    expect(new Date(raw.newest).getTime()).toBe(t.clock.now().getTime() - 10_000);

    // A second start fills only the gap since the last push.
    t.clock.advance(60_000);
    await startDemoHeartbeatsJob({ ctx: t.app.serviceContext(labelledOperator('system:demo')), metrics: definition.heartbeats ?? [], log: t.app.log })();
    const [after] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM heartbeat_point');
    expect(after.n).toBe(raw.n + 6);

    for (let i = 0; i < 3; i++) {
      t.clock.advance(5_000);
      expect(
        (
          await evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), definition.heartbeats ?? [], {
            timeZone: 'UTC',
            maintenance: [],
          })
        ).transitions,
      ).toEqual([]);
    }
    const summary = (await t.db.query<{ summary: { state: string; provisional: boolean } }>('SELECT summary FROM detector_state'))[0].summary;
    // The last tick judges the first bucket after the filled gap, which nobody pushed (the job was
    // stopped): a drop seen once is "pending", never "ok" with nothing arriving; nothing fired.
    expect(summary).toMatchObject({ state: 'pending', observed: 0, provisional: false, baseline: 'weekly', alarms: 'all' });
  });

  it('draws the 7-day chart without a gap where the seeded roll-ups meet the raw buckets', async () => {
    const data = (await t.app.inject({ method: 'GET', url: '/heartbeat/messages-created/eu/data.json?range=7d' })).json();
    expect(data.points).toHaveLength(672);
    const empty = data.points.filter((p: { observed: number | null }) => !(p.observed !== null && p.observed > 0));
    expect(empty.map((p: { bucket_start: string }) => p.bucket_start)).toEqual([]);
  });
});
