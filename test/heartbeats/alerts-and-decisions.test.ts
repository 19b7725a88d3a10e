import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { validatePageDefinition } from '../../src/config.ts';
import { evaluateHeartbeats, holidayExclusions } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { syncAlertRecipients } from '../../src/services/notifications/sync-alert-recipients.ts';
import { listEpisodes } from '../../src/storage/heartbeat-episode-repository.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/**
 * Flow 2's actions through the real app: a drop alerts the metric's responders (signed webhook to a
 * real HTTP receiver, email to a real SMTP server) through the outbox, subscribers hear nothing
 * unless the policy says so, and a responder can dismiss the notice or take it over.
 */
describe('heartbeat alerts and responder decisions', () => {
  let smtp: TestSmtpServer;
  let receiver: HttpReceiver;
  let t: TestApp;
  let admin: string;
  let definition: ReturnType<typeof validatePageDefinition>;
  const series = { metric: 'messages-created', region: 'eu' };

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
          regions: ['eu'],
          alert: { webhooks: [receiver.url], emails: ['oncall@acme.example'] },
        },
      ],
    });
    // The reference verifier checks webhook-timestamp against the real time: start the clock at now.
    // The detector job's own timer is slowed down so that only this test's ticks evaluate.
    const start = new Date(Math.floor(Date.now() / 10_000) * 10_000);
    t = await startTestApp({
      definition,
      clock: new ManualClock(start),
      env: {
        LIFELINE_ROLES: 'web,worker',
        LIFELINE_DETECTOR_TICK_SECONDS: '600',
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Acme Status <status@acme.example>',
        LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true',
      },
    });
    admin = await t.token('admin');
    // A confirmed subscriber: the metric's policy (notify_subscribers: false) keeps them out of it.
    expect((await api('POST', '/api/v1/subscribers', { type: 'email', email: 'reader@example.org', confirmed: true })).statusCode).toBe(201);
    await t.db.query(
      `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at)
       SELECT 'messages-created', 'eu', b, 1000, b FROM generate_series($1::timestamptz - interval '3 hours', $1::timestamptz - interval '10 seconds', interval '10 seconds') AS b`,
      [t.clock.now()],
    );
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
    await receiver.close();
  });

  const api = (method: 'GET' | 'POST', url: string, payload?: object) => t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${admin}` } });
  const tick = async () =>
    (
      await evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), definition.heartbeats ?? [], {
        timeZone: 'UTC',
        maintenance: [],
        publicUrl: t.config.publicUrl,
      })
    ).transitions;
  const pump = () => t.app.notifications.dispatch();
  const push = (value: number) =>
    t.db.query(
      "INSERT INTO heartbeat_point (metric, region, bucket, value, received_at) VALUES ('messages-created', 'eu', $1, $2, $1) ON CONFLICT (metric, region, bucket) DO UPDATE SET value = EXCLUDED.value",
      [new Date(Math.floor(t.clock.now().getTime() / 10_000) * 10_000), value],
    );
  /** Advances in 5 s ticks until `transition` happens (pushing `value` per bucket when given); returns the transitions seen. */
  async function tickUntil(transition: string, options: { value?: number; max?: number } = {}): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < (options.max ?? 40); i++) {
      if (options.value !== undefined) await push(options.value);
      t.clock.advance(5_000);
      seen.push(...(await tick()));
      if (seen.includes(transition)) return seen;
    }
    throw new Error(`no ${transition} after ${options.max ?? 40} ticks; saw ${seen.join(', ') || 'nothing'}`);
  }
  const unresolved = async () => {
    await t.settle();
    return (await t.app.inject({ method: 'GET', url: '/api/v2/incidents/unresolved.json' })).json().incidents;
  };
  const webhookEvents = () => receiver.received.map((r) => JSON.parse(r.body).event_type as string);

  it('keeps alert recipients apart from subscribers and shows the webhook secret to admins', async () => {
    const { recipients } = (await api('GET', '/api/v1/alert-recipients')).json();
    expect(recipients.map((r: { type: string; address: string; metrics: string[] }) => [r.type, r.address, r.metrics])).toEqual([
      ['email', 'oncall@acme.example', ['messages-created']],
      ['webhook', receiver.url, ['messages-created']],
    ]);
    expect(recipients[1].secret).toMatch(/^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
    const subscribers = (await api('GET', '/api/v1/subscribers')).json().subscribers;
    expect(subscribers.map((s: { email: string }) => s.email)).toEqual(['reader@example.org']);
    const writer = await t.token('incidents:write');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/alert-recipients', headers: { authorization: `Bearer ${writer}` } })).statusCode).toBe(403);
  });

  it('alerts the responders by signed webhook and email when the pushes stop, and tells no subscriber', async () => {
    await tickUntil('fired:messages-created:eu');
    await pump();
    const [email] = await smtp.waitFor(1);
    expect(email.envelope.rcptTo).toEqual(['oncall@acme.example']);
    expect(email.parsed.subject).toBe('[Acme Chat] Critical: No messages created data from EU');
    expect(email.parsed.text).toContain(`Chart: ${t.config.publicUrl}/heartbeat/messages-created/eu`);
    expect(receiver.received).toHaveLength(1);
    const { recipients } = (await api('GET', '/api/v1/alert-recipients')).json();
    const verified = new Webhook(recipients[1].secret).verify(receiver.received[0].body, receiver.received[0].headers as Record<string, string>) as {
      event_type: string;
      alert: Record<string, unknown>;
    };
    expect(verified.event_type).toBe('heartbeat.fired');
    expect(verified.alert).toMatchObject({
      metric: 'messages-created',
      region: 'eu',
      severity: 'critical',
      no_data: true,
      observed: 0,
      chart_url: `${t.config.publicUrl}/heartbeat/messages-created/eu`,
    });
    const [notice] = await unresolved();
    expect(verified.alert.incident_id).toBe(notice.id);
    expect(smtp.messages.some((m) => m.envelope.rcptTo.includes('reader@example.org'))).toBe(false);
  });

  it('dismisses the notice as a false alarm: closed with that wording, recorded, and quiet until recovery', async () => {
    const [notice] = await unresolved();
    const dismissed = await api('POST', `/api/v1/incidents/${notice.id}/dismiss`, { reason: 'load test ended' });
    expect(dismissed.statusCode).toBe(200);
    expect(dismissed.json()).toMatchObject({ status: 'resolved' });
    expect(dismissed.json().incident_updates[0].body).toMatch(/^False alarm/);
    expect((await api('POST', `/api/v1/incidents/${notice.id}/dismiss`, {})).statusCode).toBe(409);
    const [episode] = await listEpisodes(t.db, series, new Date(0), t.clock.now());
    expect(episode).toMatchObject({ outcome: 'dismissed', incident_id: notice.id, ended_at: null, decided_by: expect.stringContaining('token:') });

    // Still no data: no new notice, no alert, while the dismissed episode lasts.
    for (let i = 0; i < 10; i++) {
      t.clock.advance(5_000);
      expect(await tick()).toEqual([]);
    }
    await pump();
    expect(await unresolved()).toEqual([]);
    expect(webhookEvents()).toEqual(['heartbeat.fired']);

    // Traffic returns: the episode ends quietly (a false alarm needs no "recovered" page).
    await tickUntil('recovered:messages-created:eu', { value: 1000 });
    await pump();
    expect(webhookEvents()).toEqual(['heartbeat.fired']);
    const [ended] = await listEpisodes(t.db, series, new Date(0), t.clock.now());
    expect(ended.ended_at).not.toBeNull();
    const audit = (await api('GET', '/api/v1/audit?action=heartbeat_notice.dismissed')).json();
    expect(JSON.stringify(audit)).toContain('load test ended');
  });

  it('takes a notice over as a full incident: no longer automatic, and not closed by the detector', async () => {
    for (let i = 0; i < 4; i++) {
      await push(1000);
      t.clock.advance(10_000);
      await tick();
    }
    await tickUntil('fired:messages-created:eu');
    const [notice] = await unresolved();
    expect(notice.source).toBe('heartbeat');
    expect((await api('POST', `/api/v1/incidents/${notice.id}/convert`, { status: 'identified' })).json()).toMatchObject({ field: 'body' });
    const converted = await api('POST', `/api/v1/incidents/${notice.id}/convert`, {
      status: 'identified',
      body: 'A database failover in eu-west-1 stalled message writes.',
    });
    expect(converted.statusCode).toBe(200);
    expect(converted.json()).toMatchObject({ status: 'identified', source: 'responder' });

    await tickUntil('recovered:messages-created:eu', { value: 1000 });
    await pump();
    const [still] = await unresolved();
    expect(still).toMatchObject({ id: notice.id, status: 'identified' });
    // The responders hear that the signal is back; the incident stays theirs to resolve. The
    // responder's own update reached the subscriber (responder updates notify by default).
    await smtp.waitFor(4);
    expect(webhookEvents()).toEqual(['heartbeat.fired', 'heartbeat.fired', 'heartbeat.recovered']);
    const to = (address: string) => smtp.messages.filter((m) => m.envelope.rcptTo.includes(address)).map((m) => m.parsed.subject);
    expect(to('oncall@acme.example').at(-1)).toBe('[Acme Chat] Recovered: Messages created in EU is back to normal');
    expect(to('reader@example.org')).toEqual(['[Acme Chat] Identified: Reduced activity: Messages created in EU']);
    const episodes = await listEpisodes(t.db, series, new Date(0), t.clock.now());
    expect(episodes.map((e) => e.outcome)).toEqual(['dismissed', 'converted']);
    expect((await api('POST', `/api/v1/incidents/${notice.id}/dismiss`, {})).statusCode).toBe(409);
  });

  it('refuses decisions on incidents a responder declared', async () => {
    const declared = (await api('POST', '/api/v1/incidents', { name: 'Manual', body: 'x' })).json();
    const response = await api('POST', `/api/v1/incidents/${declared.id}/dismiss`, {});
    expect(response.statusCode).toBe(409);
    expect(response.json().message).toContain('not an automatic heartbeat notice');
    expect((await api('POST', '/api/v1/incidents/nope/convert', {})).statusCode).toBe(404);
  });

  it('syncs recipients from the page definition: removed addresses stop receiving', async () => {
    const result = await syncAlertRecipients(t.app.serviceContext(labelledOperator('system:config')), [
      { ...definition.heartbeats![0], alert: { emails: ['oncall@acme.example'] } },
    ]);
    expect(result).toEqual({ added: [], removed: [receiver.url] });
    const { recipients } = (await api('GET', '/api/v1/alert-recipients')).json();
    expect(recipients.map((r: { address: string }) => r.address)).toEqual(['oncall@acme.example']);
  });
});

describe('holiday exclusions', () => {
  it('turns local days into instants in the page time zone', () => {
    expect(holidayExclusions(['2026-12-25'], 'Europe/Berlin')).toEqual([
      { from: Date.parse('2026-12-24T23:00:00Z'), to: Date.parse('2026-12-25T23:00:00Z'), reason: 'holiday' },
    ]);
    expect(holidayExclusions(['2026-03-08'], 'America/New_York')[0]).toMatchObject({
      from: Date.parse('2026-03-08T05:00:00Z'),
      to: Date.parse('2026-03-09T04:00:00Z'),
    });
    expect(holidayExclusions(['2026-12-25'], 'Etc/UTC')[0].from).toBe(Date.parse('2026-12-25T00:00:00Z'));
  });
});
