import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import { labelledOperator } from '../../src/domain/actor.ts';
import { evaluateHeartbeats } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { importHistory } from '../helpers/heartbeat-history.ts';

/**
 * Charts a visitor can trust, on a freshly imported series: the 7-day chart has no gap where the
 * roll-ups meet the raw buckets, a bucket whose push is not in yet is pending (not a cliff to
 * zero), and heartbeats.json says its window and never reports "ok" with nothing arriving.
 */
const definition = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [{ key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['eu'] }],
});
const NOW = Date.parse('2026-03-10T12:00:00Z');
const DAY = 86_400_000;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ definition });
  const token = await t.token('heartbeats:write');
  await importHistory(t, token, { metric: 'messages-created', region: 'eu', from: NOW - 8 * DAY, to: NOW });
}, 120_000);
afterAll(() => t.close());

const data = async (range: string) =>
  (await t.app.inject({ method: 'GET', url: `/heartbeat/messages-created/eu/data.json?range=${range}` })).json() as {
    points: { bucket_start: string; observed: number | null; pending: boolean }[];
  };
const at = (offsetMs: number) => t.clock.set(new Date(NOW + offsetMs));

describe('charts of a freshly imported series', () => {
  it('draws the 7-day chart without a gap: roll-ups, then the raw last hours', async () => {
    at(6_000);
    const { points } = await data('7d');
    expect(points).toHaveLength(672);
    expect(points.filter((p) => !(p.observed !== null && p.observed > 0)).map((p) => p.bucket_start)).toEqual([]);
  });

  it('shows an ended bucket whose push is not in yet as pending, not as zero, until its grace and a bucket have passed', async () => {
    at(6_000);
    expect((await data('1h')).points.at(-1)).toMatchObject({ bucket_start: new Date(NOW - 10_000).toISOString(), pending: false });
    at(16_000);
    const waiting = (await data('1h')).points;
    expect(waiting.at(-1)).toEqual(expect.objectContaining({ bucket_start: new Date(NOW).toISOString(), observed: null, pending: true }));
    expect(waiting.at(-2)?.observed).toBeGreaterThan(0);
    const page = (await t.app.inject({ method: 'GET', url: '/heartbeat?range=1h' })).body;
    const line = page.match(/<path class="observed"[^>]* d="([^"]+)"/)?.[1] ?? '';
    expect(line.match(/[ML]/g)).toHaveLength(359);
    at(26_000);
    const late = (await data('1h')).points;
    // Past the grace and one more bucket, a bucket without a push counts as zero, as the detector counts it.
    expect(late.at(-2)).toMatchObject({ bucket_start: new Date(NOW).toISOString(), observed: 0, pending: false });
    // ...and the next one, in a series already silent before it, is part of the outage: drawn at zero too.
    expect(late.at(-1)).toMatchObject({ pending: false, observed: 0 });
  });

  it('says the detector window in heartbeats.json, and "pending", not "ok", when nothing arrived right after a start', async () => {
    at(6_000);
    const tick = () =>
      evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), definition.heartbeats ?? [], { timeZone: 'UTC', maintenance: [] });
    await tick();
    const json = async () => (await t.app.inject({ method: 'GET', url: '/api/v2/heartbeats.json' })).json();
    const before = await json();
    expect(before.units).toMatch(/^observed and expected are counts over the detector window of window_seconds/);
    expect(before.heartbeats[0]).toMatchObject({
      state: 'ok',
      window_seconds: expect.any(Number),
      baseline: 'daily',
      provisional: true,
      alarms: 'critical_only',
    });
    expect(before.heartbeats[0].observed).toBeGreaterThan(0);
    expect(before.heartbeats[0].alarms_note).toMatch(/Import history to detect drops now\.$/);
    expect(Date.parse(before.heartbeats[0].weekly_baseline_from)).toBeGreaterThan(NOW + 13 * DAY);
    at(16_000);
    await tick();
    // The heartbeats.json body is shared for 2 s: read it a tick later.
    at(21_000);
    expect((await json()).heartbeats[0]).toMatchObject({ state: 'pending', observed: 0 });
  });
});
