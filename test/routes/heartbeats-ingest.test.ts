import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await startTestApp({
    definition: validatePageDefinition({
      ...TEST_DEFINITION,
      heartbeats: [{ key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['us', 'eu'] }],
    }),
  });
  token = await t.token('heartbeats:write');
});
afterAll(() => t.close());

const push = (points: unknown[], auth = token) =>
  t.app.inject({ method: 'POST', url: '/api/v1/heartbeats', payload: { points }, headers: { authorization: `Bearer ${auth}` } });

describe('heartbeat ingest', () => {
  it('stores counts per bucket and replaces a repeated bucket instead of double-counting', async () => {
    const at = '2026-03-10T11:59:50Z';
    expect(
      (
        await push([
          { metric: 'messages-created', region: 'us', timestamp: at, value: 1200 },
          { metric: 'messages-created', region: 'eu', timestamp: at, value: 800 },
        ])
      ).json(),
    ).toEqual({ accepted: 2 });
    expect((await push([{ metric: 'messages-created', region: 'us', timestamp: at, value: 1200 }])).statusCode).toBe(202);
    const rows = await t.db.query<{ region: string; value: number }>('SELECT region, value FROM heartbeat_point ORDER BY region');
    expect(rows).toEqual([
      { region: 'eu', value: 800 },
      { region: 'us', value: 1200 },
    ]);
  });

  it.each([
    [{ metric: 'signups', region: 'us', timestamp: '2026-03-10T11:59:50Z', value: 1 }, 'points.0.metric'],
    [{ metric: 'messages-created', region: 'mars', timestamp: '2026-03-10T11:59:50Z', value: 1 }, 'points.0.region'],
    [{ metric: 'messages-created', region: 'us', timestamp: 'yesterday', value: 1 }, 'points.0.timestamp'],
    [{ metric: 'messages-created', region: 'us', timestamp: '2026-03-10T11:59:53Z', value: 1 }, 'points.0.timestamp'],
    [{ metric: 'messages-created', region: 'us', timestamp: '2026-03-10T12:05:00Z', value: 1 }, 'points.0.timestamp'],
    [{ metric: 'messages-created', region: 'us', timestamp: '2026-03-07T12:00:00Z', value: 1 }, 'points.0.timestamp'],
    [{ metric: 'messages-created', region: 'us', timestamp: '2026-03-10T11:59:50Z', value: -3 }, 'points.0.value'],
    [{ metric: 'messages-created', region: 'us', timestamp: '2026-03-10T11:59:50Z', value: '12' }, 'points.0.value'],
  ])('refuses %j naming %s, storing nothing', async (point, field) => {
    const response = await push([{ metric: 'messages-created', region: 'eu', timestamp: '2026-03-10T11:59:40Z', value: 5 }, point].reverse());
    expect(response.statusCode).toBe(400);
    expect(response.json().field).toBe(field);
    const rows = await t.db.query("SELECT 1 FROM heartbeat_point WHERE bucket = '2026-03-10T11:59:40Z'");
    expect(rows).toHaveLength(0);
  });

  it('refuses an oversized batch and a token without the scope', async () => {
    const many = Array.from({ length: 5001 }, () => ({ metric: 'messages-created', region: 'us', timestamp: '2026-03-10T11:59:50Z', value: 1 }));
    const big = await push(many);
    expect(big.statusCode).toBe(400);
    expect(big.json().field).toBe('points');
    expect((await push([], await t.token('incidents:write'))).statusCode).toBe(403);
  });
});

describe('heartbeat roll-ups and retention', () => {
  it('sums raw buckets per minute and hour, re-rolls late points, and drops raw data after 48 h', async () => {
    const { rollUpHeartbeats, enforceHeartbeatRetention } = await import('../../src/storage/heartbeat-repository.ts');
    await t.db.query('DELETE FROM heartbeat_point');
    const points = [0, 10, 20, 30, 40, 50, 60].map((s) => ({
      metric: 'messages-created',
      region: 'us',
      timestamp: new Date(Date.parse('2026-03-10T11:58:00Z') + s * 1000).toISOString(),
      value: 10,
    }));
    expect((await push(points)).statusCode).toBe(202);
    const window = { from: new Date('2026-03-10T10:00:00Z'), to: t.clock.now() };
    const series = [{ metric: 'messages-created', region: 'us' }];
    // A series not asked for is left alone.
    await rollUpHeartbeats(t.db, window, [{ metric: 'messages-created', region: 'eu' }]);
    expect(await t.db.query('SELECT 1 FROM heartbeat_rollup')).toHaveLength(0);
    await rollUpHeartbeats(t.db, window, series);
    const minutes = await t.db.query<{ bucket: Date; value: number; samples: number }>(
      "SELECT bucket, value, samples FROM heartbeat_rollup WHERE resolution = '1m' ORDER BY bucket",
    );
    expect(minutes.map((m) => [new Date(m.bucket).toISOString(), m.value, m.samples])).toEqual([
      ['2026-03-10T11:58:00.000Z', 60, 6],
      ['2026-03-10T11:59:00.000Z', 10, 1],
    ]);
    // A late, corrected push for a bucket already rolled up replaces it.
    await push([{ metric: 'messages-created', region: 'us', timestamp: '2026-03-10T11:58:00Z', value: 40 }]);
    await rollUpHeartbeats(t.db, window, series);
    const [hour] = await t.db.query<{ value: number }>("SELECT value FROM heartbeat_rollup WHERE resolution = '1h'");
    expect(hour.value).toBe(100);
    const later = new Date(t.clock.now().getTime() + 49 * 3_600_000);
    expect(await enforceHeartbeatRetention(t.db, later, [{ metric: 'messages-created', region: 'eu' }])).toBe(0);
    expect(await enforceHeartbeatRetention(t.db, later, series)).toBe(7);
    await push([{ metric: 'messages-created', region: 'us', timestamp: '2026-03-10T11:59:30Z', value: 1 }]);
    expect(await enforceHeartbeatRetention(t.db, later, 'all')).toBe(1);
    expect(await t.db.query('SELECT 1 FROM heartbeat_point')).toHaveLength(0);
    expect(await t.db.query("SELECT 1 FROM heartbeat_rollup WHERE resolution = '1h'")).toHaveLength(1);
  });
});
