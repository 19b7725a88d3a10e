import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { validatePageDefinition } from '../../src/config.ts';
import { labelledOperator } from '../../src/domain/actor.ts';
import { demoCount } from '../../src/jobs/demo-heartbeats-job.ts';
import { evaluateHeartbeats } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { importHistory } from '../helpers/heartbeat-history.ts';

/**
 * `alarm_while_provisional: true` in the page definition: a metric with only 8 days of history
 * (a provisional, daily baseline) raises a major alarm on a drop to 30% of normal, where a metric
 * without it only alarms on a stop until its weekly baseline arrives (issue 14). Both say so in
 * heartbeats.json. The injected clock drives every tick.
 */
const definition = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [
    { key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['eu'] },
    { key: 'signups', label: 'Signups', bucket_seconds: 10, regions: ['eu'], alarm_while_provisional: true },
  ],
});
const DAY = 86_400_000;
// A Tuesday afternoon in Europe: a busy hour.
const START = Date.parse('2026-03-10T14:00:00Z');

let t: TestApp;
let token: string;
const METRICS = ['messages-created', 'signups'];
/** Every bucket from this one on carries 30% of normal, in both series. */
let dropFrom = Number.POSITIVE_INFINITY;

beforeAll(async () => {
  t = await startTestApp({ definition, clock: new ManualClock(new Date(START)) });
  token = await t.token('heartbeats:write');
  for (const metric of METRICS) await importHistory(t, token, { metric, region: 'eu', from: START - 8 * DAY, to: START });
}, 120_000);
afterAll(() => t.close());

const cursor = { at: START };
/** 5 s detector ticks for `seconds`, each ended bucket pushed half a second after it ends; the transitions seen with their clock time. */
async function run(seconds: number): Promise<{ transition: string; at: number }[]> {
  const seen: { transition: string; at: number }[] = [];
  for (let elapsed = 0; elapsed < seconds * 1000; elapsed += 5_000) {
    t.clock.advance(5_000);
    const now = t.clock.now().getTime();
    const points = [];
    for (; cursor.at + 10_500 <= now; cursor.at += 10_000) {
      for (const metric of METRICS)
        points.push({
          metric,
          region: 'eu',
          timestamp: new Date(cursor.at).toISOString(),
          value: Math.round(demoCount(metric, 'eu', cursor.at, 10) * (cursor.at >= dropFrom ? 0.3 : 1)),
        });
    }
    if (points.length > 0) {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/heartbeats', payload: { points }, headers: { authorization: `Bearer ${token}` } });
      expect(response.statusCode).toBe(202);
    }
    const result = await evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), definition.heartbeats ?? [], {
      timeZone: 'UTC',
      maintenance: [],
    });
    for (const transition of result.transitions) seen.push({ transition, at: now });
  }
  return seen;
}
const heartbeats = async () =>
  (await t.app.inject({ method: 'GET', url: '/api/v2/heartbeats.json' })).json().heartbeats as {
    metric: string;
    state: string;
    provisional: boolean;
    baseline: string;
    alarms: string;
  }[];

describe('alarm_while_provisional', { timeout: 120_000 }, () => {
  it('says which metric alarms on what while its baseline is provisional, and stays quiet on normal traffic', async () => {
    expect(await run(120)).toEqual([]);
    expect((await heartbeats()).map((h) => [h.metric, h.state, h.baseline, h.provisional, h.alarms])).toEqual([
      ['messages-created', 'ok', 'daily', true, 'critical_only'],
      ['signups', 'ok', 'daily', true, 'all'],
    ]);
  });

  it('fires major on a drop to 30% within 60 s where the metric opted in, and not where it did not', async () => {
    const onset = Math.ceil(t.clock.now().getTime() / 10_000) * 10_000;
    dropFrom = onset;
    const seen = await run(90);
    expect(seen.map((s) => s.transition)).toEqual(['fired:signups:eu']);
    expect(seen[0].at - onset).toBeLessThanOrEqual(60_000);
    expect((await heartbeats()).map((h) => [h.metric, h.state])).toEqual([
      ['messages-created', 'ok'],
      ['signups', 'major'],
    ]);
  });
});
