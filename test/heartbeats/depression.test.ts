import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { validatePageDefinition } from '../../src/config.ts';
import { labelledOperator } from '../../src/domain/actor.ts';
import { demoCount } from '../../src/jobs/demo-heartbeats-job.ts';
import { evaluateHeartbeats } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { importHistory } from '../helpers/heartbeat-history.ts';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

/**
 * Protected on day one: a fresh install imports 4 weeks of history through the API, live pushes
 * follow, and a depression (not a stop: traffic at 45% of normal in one region) fires a major
 * alarm, opens the automatic notice on the page and in summary.json, and reaches the responders
 * (signed webhook to a real receiver, email to a real SMTP server) within 60 s of its onset. A
 * metric with `threshold: 0.75` catches a drop to 70%. The injected clock drives every tick.
 */
const DAY = 86_400_000;

// Four weeks of three series and a few hundred detector ticks: minutes, not seconds, on a busy machine.
describe('a depression after imported history', { timeout: 120_000 }, () => {
  let smtp: TestSmtpServer;
  let receiver: HttpReceiver;
  let t: TestApp;
  let token: string;
  let definition: ReturnType<typeof validatePageDefinition>;
  /** Multiplier of normal traffic per series from a bucket on, set by the tests. */
  const levels: Record<string, [from: number, level: number][]> = { 'messages-created/eu': [], 'messages-created/us': [], 'orders/eu': [] };
  const levelAt = (key: string, bucket: number) => levels[key].findLast(([from]) => from <= bucket)?.[1] ?? 1;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    receiver = await startHttpReceiver({ path: '/page-me' });
    definition = validatePageDefinition({
      ...TEST_DEFINITION,
      heartbeats: [
        {
          key: 'messages-created',
          label: 'Messages created',
          bucket_seconds: 10,
          regions: ['us', 'eu'],
          alert: { webhooks: [receiver.url], emails: ['oncall@acme.example'] },
        },
        { key: 'orders', label: 'Orders', bucket_seconds: 10, regions: ['eu'], threshold: 0.75, alert: { emails: ['shop@acme.example'] } },
      ],
    });
    // A Tuesday afternoon in Europe: a busy hour, where a depression must be caught in seconds.
    const start = Date.parse('2026-03-10T14:00:00Z');
    t = await startTestApp({
      definition,
      clock: new ManualClock(new Date(start)),
      env: {
        LIFELINE_ROLES: 'web,worker',
        LIFELINE_DETECTOR_TICK_SECONDS: '600',
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Acme Status <status@acme.example>',
        LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true',
      },
    });
    token = await t.token('heartbeats:write');
    const from = start - 28 * DAY;
    expect(await importHistory(t, token, { metric: 'messages-created', region: 'eu', from, to: start })).toBe(28 * 1440);
    await importHistory(t, token, { metric: 'messages-created', region: 'us', from, to: start, resolution: 300 });
    await importHistory(t, token, { metric: 'orders', region: 'eu', from, to: start, resolution: 300 });
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
    await receiver?.close();
  });

  const tick = async () =>
    (
      await evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), definition.heartbeats ?? [], {
        timeZone: 'UTC',
        maintenance: [],
        publicUrl: t.config.publicUrl,
      })
    ).transitions;
  /** The product pushes each 10 s bucket half a second after it ends, at the series' current level. */
  async function pushEndedBuckets(last: { at: number }) {
    const now = t.clock.now().getTime();
    const points = [];
    for (let bucket = last.at; bucket + 10_000 + 500 <= now; bucket += 10_000) {
      for (const key of Object.keys(levels)) {
        const [metric, region] = key.split('/');
        points.push({
          metric,
          region,
          timestamp: new Date(bucket).toISOString(),
          value: Math.round(demoCount(metric, region, bucket, 10) * levelAt(key, bucket)),
        });
      }
      last.at = bucket + 10_000;
    }
    if (points.length === 0) return;
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/heartbeats', payload: { points }, headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(202);
  }
  const cursor = { at: 0 };
  /** 5 s detector ticks for `seconds`, pushing as the product would; the transitions seen, with the clock time of each. */
  async function run(seconds: number, until?: string): Promise<{ transition: string; at: number }[]> {
    const seen: { transition: string; at: number }[] = [];
    for (let elapsed = 0; elapsed < seconds * 1000; elapsed += 5_000) {
      t.clock.advance(5_000);
      await pushEndedBuckets(cursor);
      for (const transition of await tick()) seen.push({ transition, at: t.clock.now().getTime() });
      if (until && seen.some((s) => s.transition === until)) break;
    }
    return seen;
  }
  const heartbeats = async () =>
    (await t.app.inject({ method: 'GET', url: '/api/v2/heartbeats.json' })).json().heartbeats as { metric: string; region: string; state: string }[];

  it('has a weekly baseline at once and stays quiet through 5 minutes of normal live traffic', async () => {
    cursor.at = t.clock.now().getTime();
    expect(await run(300)).toEqual([]);
    const series = await heartbeats();
    expect(series.map((s) => [s.metric, s.region, s.state])).toEqual([
      ['messages-created', 'us', 'ok'],
      ['messages-created', 'eu', 'ok'],
      ['orders', 'eu', 'ok'],
    ]);
    expect(series[1]).toMatchObject({ provisional: false, baseline: 'weekly', alarms: 'all', alarms_note: null, weekly_baseline_from: null });
    expect(await t.db.query('SELECT 1 FROM outbox_event WHERE type LIKE $1', ['heartbeat.%'])).toHaveLength(0);
  });

  it('fires major on a drop to 45% in one region, with the notice and the responder alert within 60 s of onset', async () => {
    // The onset is a bucket boundary: every bucket from it on carries 45% of normal.
    const onset = Math.ceil(t.clock.now().getTime() / 10_000) * 10_000;
    levels['messages-created/eu'].push([onset, 0.45]);
    const seen = await run(90, 'fired:messages-created:eu');
    const fired = seen.find((s) => s.transition === 'fired:messages-created:eu');
    expect(fired, `transitions: ${JSON.stringify(seen)}`).toBeDefined();
    expect((fired?.at as number) - onset).toBeLessThanOrEqual(60_000);
    expect(seen.map((s) => s.transition)).toEqual(['fired:messages-created:eu']);

    const states = await heartbeats();
    expect(states.map((s) => s.state)).toEqual(['ok', 'major', 'ok']);
    await t.settle();
    const summary = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json();
    expect(summary.incidents).toHaveLength(1);
    expect(summary.incidents[0]).toMatchObject({ name: 'Reduced activity: Messages created in EU', impact: 'major', status: 'investigating' });
    expect(summary.incidents[0].incident_updates[0].body).toMatch(/reduced activity in EU for messages created since/);
    expect((await t.app.inject({ method: 'GET', url: '/' })).body).toContain('Reduced activity: Messages created in EU');

    // The responder alert was written with the notice (same tick), then delivered for real.
    const [event] = await t.db.query<{ created_at: Date }>("SELECT created_at FROM outbox_event WHERE type = 'heartbeat.fired'");
    expect(new Date(event.created_at).getTime() - onset).toBeLessThanOrEqual(60_000);
    await t.app.notifications.dispatch();
    const [email] = await smtp.waitFor(1);
    expect(email.envelope.rcptTo).toEqual(['oncall@acme.example']);
    expect(email.parsed.subject).toContain('Messages created');
    expect(receiver.received.map((r) => JSON.parse(r.body))).toEqual([
      expect.objectContaining({ event_type: 'heartbeat.fired', alert: expect.objectContaining({ region: 'eu', severity: 'major', no_data: false }) }),
    ]);
  });

  it('fires on a drop to 70% where the metric says threshold: 0.75', async () => {
    const onset = Math.ceil(t.clock.now().getTime() / 10_000) * 10_000;
    levels['orders/eu'].push([onset, 0.7]);
    const seen = await run(90, 'fired:orders:eu');
    const fired = seen.find((s) => s.transition === 'fired:orders:eu');
    expect(fired, `transitions: ${JSON.stringify(seen)}`).toBeDefined();
    expect((fired?.at as number) - onset).toBeLessThanOrEqual(60_000);
    expect((await heartbeats()).map((s) => s.state)).toEqual(['ok', 'major', 'major']);
    await t.app.notifications.dispatch();
    const messages = await smtp.waitFor(2);
    expect(messages[1].envelope.rcptTo).toEqual(['shop@acme.example']);
  });

  it('recovers when traffic is back to normal', async () => {
    const back = Math.ceil(t.clock.now().getTime() / 10_000) * 10_000;
    levels['messages-created/eu'].push([back, 1]);
    levels['orders/eu'].push([back, 1]);
    const seen = (await run(120)).map((s) => s.transition);
    expect(seen).toEqual(expect.arrayContaining(['recovered:messages-created:eu', 'recovered:orders:eu']));
    expect((await heartbeats()).map((s) => s.state)).toEqual(['ok', 'ok', 'ok']);
  });
});
