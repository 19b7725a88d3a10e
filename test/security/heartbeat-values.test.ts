import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import { MAX_BUCKET_VALUE } from '../../src/services/heartbeats/ingest-heartbeats.ts';
import { listMigrations } from '../../src/storage/migrate.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';

/** Absurd heartbeat counts (1e300, 2**63) would wreck every chart and baseline: refused, named by point. */
let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await startTestApp({
    definition: validatePageDefinition({
      ...TEST_DEFINITION,
      heartbeats: [{ key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['us', 'eu'], public: true }],
    }),
  });
  token = await t.token('heartbeats:write');
});
afterAll(() => t.close());

const point = (value: unknown, timestamp = '2026-03-10T11:59:50Z') => ({ metric: 'messages-created', region: 'us', timestamp, value });
const push = (payload: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/heartbeats', payload, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

describe('heartbeat values are capped', () => {
  it('documents the cap: one billion per bucket', () => {
    expect(MAX_BUCKET_VALUE).toBe(1_000_000_000);
  });

  it.each(['1e300', '9223372036854775808', '1000000001', '1.7976931348623157e308'])('refuses %s naming the point, storing nothing', async (value) => {
    const body = `{"points":[${JSON.stringify(point(5, '2026-03-10T11:59:40Z'))},{"metric":"messages-created","region":"us","timestamp":"2026-03-10T11:59:50Z","value":${value}}]}`;
    const response = await push(body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_input', field: 'points.1.value' });
    expect(response.json().message).toContain('at most 1000000000');
    expect(await t.db.query('SELECT 1 FROM heartbeat_point')).toHaveLength(0);
  });

  it('accepts the cap itself, and the chart still renders', async () => {
    expect((await push(JSON.stringify({ points: [point(MAX_BUCKET_VALUE)] }))).statusCode).toBe(202);
    const chart = await t.app.inject({ method: 'GET', url: '/heartbeat/messages-created/us' });
    expect(chart.statusCode).toBe(200);
  });

  it('says so in the OpenAPI description of the route', async () => {
    const openapi = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(openapi.paths['/api/v1/heartbeats'].post.description).toContain('1,000,000,000');
  });
});

describe('absurd values stored before the cap', () => {
  it('are removed by migration 010, with the roll-ups they were summed into', async () => {
    await t.db.query('DELETE FROM heartbeat_point');
    await t.db.query(
      `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at) VALUES
        ('messages-created', 'eu', '2026-03-10T11:00:00Z', 1e300, now()), ('messages-created', 'eu', '2026-03-10T11:00:10Z', 40, now())`,
    );
    await t.db.query(
      `INSERT INTO heartbeat_rollup (metric, region, resolution, bucket, value, samples) VALUES
        ('messages-created', 'eu', '1m', '2026-03-10T11:00:00Z', 1e300, 2), ('messages-created', 'eu', '1m', '2026-03-10T11:01:00Z', 1800000000, 2)`,
    );
    const migration = listMigrations().find((m) => m.version.startsWith('010_'))!;
    await t.db.transaction((tx) => tx.exec(migration.sql));
    expect(await t.db.query('SELECT value FROM heartbeat_point ORDER BY bucket')).toEqual([{ value: 40 }]);
    expect(await t.db.query('SELECT value FROM heartbeat_rollup ORDER BY bucket')).toEqual([{ value: 1800000000 }]);
  });
});
