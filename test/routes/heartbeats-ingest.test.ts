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
    expect((await push([{ metric: 'messages-created', region: 'us', timestamp: at, value: 1200 }, { metric: 'messages-created', region: 'eu', timestamp: at, value: 800 }])).json()).toEqual({ accepted: 2 });
    expect((await push([{ metric: 'messages-created', region: 'us', timestamp: at, value: 1200 }])).statusCode).toBe(202);
    const rows = await t.db.query<{ region: string; value: number }>('SELECT region, value FROM heartbeat_point ORDER BY region');
    expect(rows).toEqual([{ region: 'eu', value: 800 }, { region: 'us', value: 1200 }]);
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
