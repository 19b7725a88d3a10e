import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeatSeries, validatePageDefinition } from '../../src/config.ts';
import { SYSTEM_ACTORS } from '../../src/domain/actor.ts';
import { demoCount } from '../../src/jobs/demo-heartbeats-job.ts';
import { startMaintenanceJob } from '../../src/jobs/maintenance-job.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { importHistory } from '../helpers/heartbeat-history.ts';

/**
 * The 7-day chart reads 1-minute roll-ups up to its last 2 hours, and the maintenance job rolls
 * raw buckets up. Buckets pushed while no worker ran (a restart, a web-only deployment catching
 * up) are older than the 2 hours a tick re-rolls: the first tick after a start rolls up all 48 raw
 * hours, or the chart shows a stretch of zeros where the roll-ups lag the raw buckets (issue 14).
 */
const definition = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [{ key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['eu'] }],
});
const NOW = Date.parse('2026-03-10T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RAW_HOURS = 30;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ definition });
  const token = await t.token('heartbeats:write');
  // History up to 30 h ago, then 30 h of live 10 s pushes that no maintenance tick has rolled up.
  await importHistory(t, token, { metric: 'messages-created', region: 'eu', from: NOW - 8 * DAY, to: NOW - RAW_HOURS * HOUR });
  let points: { metric: string; region: string; timestamp: string; value: number }[] = [];
  const push = async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/heartbeats', payload: { points }, headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(202);
    points = [];
  };
  for (let bucket = NOW - RAW_HOURS * HOUR; bucket < NOW; bucket += 10_000) {
    points.push({
      metric: 'messages-created',
      region: 'eu',
      timestamp: new Date(bucket).toISOString(),
      value: demoCount('messages-created', 'eu', bucket, 10),
    });
    if (points.length === 5_000) await push();
  }
  await push();
  t.clock.set(new Date(NOW + 1_000));
}, 120_000);
afterAll(() => t.close());

const emptySteps = async () => {
  const { points } = (await t.app.inject({ method: 'GET', url: '/heartbeat/messages-created/eu/data.json?range=7d' })).json() as {
    points: { bucket_start: string; observed: number | null }[];
  };
  expect(points).toHaveLength(672);
  return points.filter((p) => !(p.observed !== null && p.observed > 0)).map((p) => p.bucket_start);
};
const minutes = async (from: number, to: number) =>
  (
    await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM heartbeat_rollup WHERE metric = 'messages-created' AND region = 'eu' AND resolution = '1m' AND bucket >= $1 AND bucket < $2",
      [new Date(from), new Date(to)],
    )
  )[0].n;

describe('maintenance job', () => {
  it('rolls up every raw hour on its first tick, so the 7-day chart has no gap after a restart', async () => {
    // Before: the raw hours older than the chart's raw tail have no roll-ups, drawn as a stretch of zeros.
    expect(await minutes(NOW - RAW_HOURS * HOUR, NOW)).toBe(0);
    expect((await emptySteps()).length).toBeGreaterThan(100);

    const stop = startMaintenanceJob({
      ctx: t.app.serviceContext(SYSTEM_ACTORS.scheduler),
      intervalMs: HOUR,
      series: heartbeatSeries(definition),
      log: t.app.log,
    });
    await stop(); // waits for the first tick

    // The next detector tick: chart bodies are built once per tick.
    t.clock.set(new Date(NOW + 6_000));
    expect(await minutes(NOW - RAW_HOURS * HOUR, NOW)).toBe(RAW_HOURS * 60);
    expect(await emptySteps()).toEqual([]);
  });
});
