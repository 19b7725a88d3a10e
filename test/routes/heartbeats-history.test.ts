import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import { labelledOperator } from '../../src/domain/actor.ts';
import { evaluateHeartbeats } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { importHistory } from '../helpers/heartbeat-history.ts';

/** POST /api/v1/heartbeats/history: bring your history, stored as live pushes end up, all or nothing. */
const definition = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [
    { key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['us', 'eu'] },
    { key: 'signups', label: 'Sign-ups', bucket_seconds: 60, regions: ['eu'] },
  ],
});
const NOW = Date.parse('2026-03-10T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await startTestApp({ definition });
  token = await t.token('heartbeats:write');
});
afterAll(() => t.close());

const post = (body: unknown, auth = token) =>
  t.app.inject({ method: 'POST', url: '/api/v1/heartbeats/history', payload: body as object, headers: { authorization: `Bearer ${auth}` } });
const point = (timestamp: number | string, value = 600, metric = 'messages-created', region = 'eu') => ({
  metric,
  region,
  timestamp: typeof timestamp === 'number' ? new Date(timestamp).toISOString() : timestamp,
  value,
});
const minutes = (metric: string, region: string, from: number, to: number) =>
  t.db.query<{ bucket: Date; value: number; samples: number }>(
    "SELECT bucket, value, samples FROM heartbeat_rollup WHERE metric = $1 AND region = $2 AND resolution = '1m' AND bucket >= $3 AND bucket < $4 ORDER BY bucket",
    [metric, region, new Date(from), new Date(to)],
  );
const hour = async (metric: string, region: string, at: number) =>
  (
    await t.db.query<{ value: number }>("SELECT value FROM heartbeat_rollup WHERE metric = $1 AND region = $2 AND resolution = '1h' AND bucket = $3", [
      metric,
      region,
      new Date(at),
    ])
  )[0]?.value ?? null;

describe('POST /api/v1/heartbeats/history', { timeout: 120_000 }, () => {
  const threeDaysAgo = NOW - 3 * DAY;

  it.each([
    ['an undeclared metric', { resolution_seconds: 60, points: [point(threeDaysAgo), point(threeDaysAgo, 1, 'orders')] }, 'points.1.metric'],
    ['an undeclared region', { resolution_seconds: 60, points: [point(threeDaysAgo, 1, 'messages-created', 'mars')] }, 'points.0.region'],
    ['a slot not aligned to the resolution', { resolution_seconds: 60, points: [point(threeDaysAgo), point(threeDaysAgo + 30_000)] }, 'points.1.timestamp'],
    ['a timestamp without a zone', { resolution_seconds: 60, points: [point('2026-03-07T12:00:00')] }, 'points.0.timestamp'],
    ['a slot more than 8 weeks old', { resolution_seconds: 60, points: [point(NOW - 8 * WEEK - 60_000)] }, 'points.0.timestamp'],
    ['a slot in the future', { resolution_seconds: 60, points: [point(NOW + 5 * 60_000)] }, 'points.0.timestamp'],
    ['a negative count', { resolution_seconds: 60, points: [point(threeDaysAgo, -1)] }, 'points.0.value'],
    ['a fractional count', { resolution_seconds: 60, points: [point(threeDaysAgo, 1.5)] }, 'points.0.value'],
    ['a count as text', { resolution_seconds: 60, points: [point(threeDaysAgo, '12' as unknown as number)] }, 'points.0.value'],
    ['an unknown field', { resolution_seconds: 60, points: [{ ...point(threeDaysAgo), unit: 'per minute' }] }, 'points.0.unit'],
    ['a resolution that is not a multiple of the bucket', { resolution_seconds: 15, points: [point(threeDaysAgo)] }, 'resolution_seconds'],
    ['a resolution straddling minutes', { resolution_seconds: 90, points: [point(threeDaysAgo)] }, 'resolution_seconds'],
    ['a resolution over an hour', { resolution_seconds: 7200, points: [point(threeDaysAgo)] }, 'resolution_seconds'],
    ['a sub-minute slot older than 47 hours', { resolution_seconds: 10, points: [point(threeDaysAgo)] }, 'points.0.timestamp'],
    ['a NUL byte in a name', { resolution_seconds: 60, points: [point(threeDaysAgo, 1, 'messages-created\u0000')] }, 'points.0.metric'],
    ['a missing resolution', { points: [point(threeDaysAgo)] }, 'resolution_seconds'],
  ])('refuses %s with a 400 naming %s, storing nothing', async (_what, body, field) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().field).toBe(field);
    expect(await minutes('messages-created', 'eu', 0, NOW + DAY)).toEqual([]);
  });

  it('refuses more than 10,000 points, and a token without heartbeats:write', async () => {
    const many = Array.from({ length: 10_001 }, (_, i) => point(threeDaysAgo + i * 60_000));
    const big = await post({ resolution_seconds: 60, points: many });
    expect(big.statusCode).toBe(400);
    expect(big.json().field).toBe('points');
    expect((await post({ resolution_seconds: 60, points: [point(threeDaysAgo)] }, await t.token('incidents:write'))).statusCode).toBe(403);
    expect((await post({ resolution_seconds: 60, points: [point(threeDaysAgo)] }, 'nope')).statusCode).toBe(401);
  });

  it('refuses a body over 2 MB with a 413, storing nothing, and takes one just under it', async () => {
    // Valid JSON padded with trailing white space: only the size can refuse it.
    const at = NOW - 6 * DAY;
    const json = JSON.stringify({ resolution_seconds: 60, points: [point(at, 600, 'messages-created', 'us')] });
    const padded = (bytes: number) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/heartbeats/history',
        payload: json + ' '.repeat(bytes - json.length),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
    const over = await padded(2 * 1024 * 1024 + 1);
    expect(over.statusCode).toBe(413);
    expect(over.json().error).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
    expect(await minutes('messages-created', 'us', at, at + HOUR)).toEqual([]);
    expect((await padded(2 * 1024 * 1024)).statusCode).toBe(200);
    expect((await minutes('messages-created', 'us', at, at + HOUR)).map((r) => r.value)).toEqual([600]);
  });

  it('stores old slots as 1-minute and 1-hour roll-ups, and a repeated slot replaces its value', async () => {
    const from = threeDaysAgo;
    const first = await post({ resolution_seconds: 60, points: Array.from({ length: 60 }, (_, i) => point(from + i * 60_000, 600)) });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ accepted: 60, from: new Date(from).toISOString(), to: new Date(from + HOUR).toISOString() });
    const rows = await minutes('messages-created', 'eu', from, from + HOUR);
    expect(rows).toHaveLength(60);
    // As live pushes roll up: six 10 s buckets per minute.
    expect(rows.every((r) => r.value === 600 && r.samples === 6)).toBe(true);
    expect(await hour('messages-created', 'eu', from)).toBe(36_000);
    // A re-run with corrected counts replaces; it never double-counts.
    expect((await post({ resolution_seconds: 60, points: [point(from, 900), point(from + 60_000, 0)] })).statusCode).toBe(200);
    expect(await hour('messages-created', 'eu', from)).toBe(36_000 + 300 - 600);
    // No raw buckets for history that old (raw buckets are kept 48 h).
    expect(await t.db.query("SELECT 1 FROM heartbeat_point WHERE metric = 'messages-created' AND region = 'eu'")).toHaveLength(0);
  });

  it('spreads a coarser slot evenly over its minutes, and a bucket of a minute or more as live pushes file it', async () => {
    const from = NOW - 5 * DAY;
    expect((await post({ resolution_seconds: 3600, points: [point(from, 7200, 'messages-created', 'us')] })).statusCode).toBe(200);
    const rows = await minutes('messages-created', 'us', from, from + HOUR);
    expect(rows.map((r) => r.value)).toEqual(Array(60).fill(120));
    expect(await hour('messages-created', 'us', from)).toBe(7200);
    expect((await post({ resolution_seconds: 300, points: [point(from, 50, 'signups', 'eu')] })).statusCode).toBe(200);
    expect((await minutes('signups', 'eu', from, from + HOUR)).map((r) => [new Date(r.bucket).getTime() - from, r.value])).toEqual([
      [0, 10],
      [60_000, 10],
      [120_000, 10],
      [180_000, 10],
      [240_000, 10],
    ]);
  });

  it('stores the last 47 hours as raw buckets too, which the detector and the charts read bucket by bucket', async () => {
    const from = NOW - 2 * HOUR;
    const response = await post({
      resolution_seconds: 60,
      points: [point(from, 60, 'messages-created', 'us'), point(from + 60_000, 120, 'messages-created', 'us')],
    });
    expect(response.statusCode).toBe(200);
    const raw = await t.db.query<{ bucket: Date; value: number }>(
      "SELECT bucket, value FROM heartbeat_point WHERE metric = 'messages-created' AND region = 'us' ORDER BY bucket",
    );
    expect(raw.map((r) => r.value)).toEqual([10, 10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 20]);
    expect((await minutes('messages-created', 'us', from, from + HOUR)).map((r) => r.value)).toEqual([60, 120]);
    // Finer slots are fine that recent.
    expect((await post({ resolution_seconds: 10, points: [point(from + 120_000, 7, 'messages-created', 'us')] })).statusCode).toBe(200);
    expect((await minutes('messages-created', 'us', from, from + HOUR)).map((r) => r.value)).toEqual([60, 120, 7]);
  });

  it('gives the detector a weekly baseline at once after 3 weeks of history, without a restart', async () => {
    const region = 'eu';
    const tick = async () => {
      await evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), definition.heartbeats ?? [], { timeZone: 'UTC', maintenance: [] });
      return (await t.app.inject({ method: 'GET', url: '/api/v2/heartbeats.json' }))
        .json()
        .heartbeats.find((h: { metric: string; region: string }) => h.metric === 'signups' && h.region === region);
    };
    // Only the 5 minutes imported above: no weekly baseline yet.
    expect(await tick()).toMatchObject({ provisional: true });
    const from = NOW - 22 * DAY;
    const count = await importHistory(t, token, { metric: 'signups', region, from, to: NOW, resolution: 60, value: () => 40 });
    expect(count).toBe(22 * 1440);
    t.clock.advance(30_000);
    expect(await tick()).toMatchObject({ state: 'ok', provisional: false, baseline: 'weekly', alarms: 'all', weekly_baseline_from: null, observed: 40 });
    t.clock.set(new Date(NOW));
  });
});
