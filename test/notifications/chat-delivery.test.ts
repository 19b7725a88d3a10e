import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { SYSTEM_ACTORS } from '../../src/domain/actor.ts';
import { createDeliveryWorker } from '../../src/jobs/delivery-worker.ts';
import { sendMaintenanceReminders } from '../../src/services/maintenances/send-maintenance-reminders.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startChatReceiver, type ChatReceiver } from '../helpers/chat-receivers.ts';
import { consoleClient } from '../helpers/console-client.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

/**
 * Slack, Discord and Teams channels end to end through the real app: outbox → dispatcher → queue
 * (webhook lane) → worker → loopback receivers that hold every message to their platform's rules.
 */
const WAIT = { timeout: 10_000, interval: 10 };
const HOSTILE = '<!channel> <!here> <@U024BE7LH> @everyone & <script>x</script>';

describe('chat channels end to end', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let slack: ChatReceiver;
  let discord: ChatReceiver;
  let teams: ChatReceiver;
  let admin: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    [slack, discord, teams] = await Promise.all([startChatReceiver('slack'), startChatReceiver('discord'), startChatReceiver('teams')]);
    t = await startTestApp({
      clock: new ManualClock(new Date()),
      env: { LIFELINE_ROLES: 'web,worker', SMTP_URL: smtp.url, MAIL_FROM: 'Acme Status <status@acme.example>', LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true' },
    });
    admin = await t.token('admin');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
    await Promise.all([slack.close(), discord.close(), teams.close()]);
  });
  afterEach(() => {
    // Every message every receiver got met its platform's rules.
    expect([...slack.violations, ...discord.violations, ...teams.violations]).toEqual([]);
  });

  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${admin}` } });
  const pump = () => t.app.notifications.dispatch();
  const declare = async (name: string, body = 'Looking into it.', components?: Record<string, string>) => {
    const response = await api('POST', '/api/v1/incidents', { name, body, ...(components ? { components } : {}) });
    expect(response.statusCode, response.body).toBe(201);
    await pump();
    return response.json().id as string;
  };
  const settled = async (incidentId: string) =>
    vi.waitFor(async () => {
      const progress = (await api('GET', `/api/v1/incidents/${incidentId}/deliveries`)).json();
      expect(progress.totals.pending).toBe(0);
      return progress;
    }, WAIT);
  const subscribe = async (payload: object) => {
    const response = await api('POST', '/api/v1/subscribers', payload);
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };
  const form = (fields: Record<string, string>) => ({
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
  });
  const localPath = (url: string) => url.replace('https://status.acme.example', '');

  it('a channel signed up on the public page gets one message with a confirm link, nothing else until someone confirms', async () => {
    const signUp = await t.app.inject({ method: 'POST', url: '/subscribe/chat', ...form({ type: 'slack', url: slack.url('ops'), scope: 'all' }) });
    expect(signUp.statusCode, signUp.body).toBe(200);
    await pump();
    await vi.waitFor(() => expect(slack.messages('ops')).toHaveLength(1), WAIT);
    const confirmation = slack.messages('ops')[0].json;
    expect(confirmation.text).toContain('Confirm Acme Chat status updates');
    const button = confirmation.blocks.find((b: { type: string }) => b.type === 'actions').elements[0];
    expect(button.url).toMatch(/^https:\/\/status\.acme\.example\/subscribe\/confirm\//);
    expect(JSON.stringify(confirmation)).toMatch(/\/manage\//);

    // Unconfirmed: an incident reaches it not.
    const before = await declare('Before confirming');
    await settled(before);
    expect(slack.messages('ops')).toHaveLength(1);

    expect((await t.app.inject({ method: 'GET', url: localPath(button.url) })).body).toContain('Confirm subscription');
    const confirmed = await t.app.inject({ method: 'POST', url: localPath(button.url), headers: { 'sec-fetch-site': 'same-origin' } });
    expect(confirmed.body).toContain('The channel is subscribed');

    const after = await declare('After confirming');
    await settled(after);
    expect(slack.messages('ops')).toHaveLength(2);
    expect(slack.messages('ops')[1].json.blocks[0].text.text).toBe('After confirming');
  });

  it('posts each platform its own format, mentions neutralised, the incident and manage links in every message, counted on the reach', async () => {
    await subscribe({ type: 'slack', url: slack.url('all'), confirmed: true });
    await subscribe({ type: 'discord', url: discord.url('all'), confirmed: true });
    await subscribe({ type: 'teams', url: teams.url('all'), confirmed: true });
    const incident = await declare(`EU messaging ${HOSTILE}`, `We are **on it**. ${HOSTILE}`, { 'eu-messaging': 'major_outage' });
    const progress = await settled(incident);
    const sent = (channel: string) =>
      progress.notices.filter((n: { channel: string }) => n.channel === channel).reduce((s: number, n: { sent: number }) => s + n.sent, 0);
    expect({ slack: sent('slack'), discord: sent('discord'), teams: sent('teams') }).toEqual({ slack: 2, discord: 1, teams: 1 });
    expect(progress.totals.failed).toBe(0);

    const [s] = slack.messages('all');
    expect(s.json.text).toContain('&lt;!channel&gt; &lt;!here&gt; &lt;@U024BE7LH&gt;');
    expect(s.json.blocks[2].elements[0].url).toBe(`https://status.acme.example/incidents/${incident}`);
    expect(s.json.blocks[1].fields.map((f: { text: string }) => f.text).join()).toContain('Messaging (Europe): Major outage');

    const [d] = discord.messages('all');
    expect(d.query.get('wait')).toBe('true');
    expect(d.json.allowed_mentions).toEqual({ parse: [] });
    expect(d.json.embeds[0]).toMatchObject({ url: `https://status.acme.example/incidents/${incident}`, footer: { text: 'Acme Chat' } });
    expect(JSON.stringify(d.json.embeds[0].fields)).toMatch(/\[Manage or unsubscribe this channel\]\(https:\/\/status\.acme\.example\/manage\//);

    const [m] = teams.messages('all');
    const card = m.json.attachments[0].content;
    expect(card.body[0].text).toBe(`[Major impact] EU messaging ${HOSTILE} – Investigating`);
    expect(card.actions.map((a: { url: string }) => a.url)).toEqual([`https://status.acme.example/incidents/${incident}`, expect.stringMatching(/\/manage\//)]);

    // The console's reach counts and names the platforms.
    const client = consoleClient(t);
    await client.account('viewer@example.org', 'viewer');
    const reach = await client.get(`/console/incidents/${incident}/progress.json`, await client.signIn('viewer@example.org'));
    expect(reach.statusCode).toBe(200);
    const channels = reach.json().updates[0].channels.map((c: { label: string; sent: number }) => [c.label, c.sent]);
    expect(channels).toEqual([
      ['Discord', 1],
      ['Slack', 2],
      ['Microsoft Teams', 1],
    ]);
  });

  it('sends one message per notice per channel, however often a batch arrives', async () => {
    const rows = await t.db.query<{ id: number }>("SELECT id FROM delivery WHERE state = 'sent' AND channel IN ('slack', 'discord', 'teams')");
    expect(rows.length).toBeGreaterThan(0);
    const counts = () => [slack.received.length, discord.received.length, teams.received.length];
    const before = counts();
    const n = t.app.notifications;
    const worker = createDeliveryWorker({
      db: t.db,
      clock: t.clock,
      random: () => 0.5,
      email: n.email!,
      webhook: n.webhook!,
      chat: n.chat!,
      publicUrl: t.config.publicUrl,
      linkKey: () => t.app.linkKey(),
      mailFrom: 'x@acme.example',
      claimLeaseMs: 300_000,
      log: t.app.log,
      views: t.app.views,
    });
    await Promise.all([worker.handle({ deliveryIds: rows.map((r) => r.id), lane: 'webhook' }), worker.handle({ deliveryIds: rows.map((r) => r.id) })]);
    expect(counts()).toEqual(before);
  });

  it('keeps the first Discord message about an incident current, and posts each update too', async () => {
    const incident = (await t.db.query<{ id: string }>("SELECT id FROM incident WHERE name LIKE 'EU messaging%'"))[0].id;
    const firstId = [...discord.discordMessages.keys()][0];
    const resolved = await api('POST', `/api/v1/incidents/${incident}/updates`, {
      status: 'resolved',
      body: 'Fixed.',
      components: { 'eu-messaging': 'operational' },
    });
    expect(resolved.statusCode, resolved.body).toBe(201);
    await pump();
    await settled(incident);
    expect(discord.messages('all')).toHaveLength(2);
    await vi.waitFor(() => expect(discord.received.filter((r) => r.method === 'PATCH')).toHaveLength(1), WAIT);
    const edit = discord.received.find((r) => r.method === 'PATCH')!;
    expect(edit.path).toBe(`/api/webhooks/123456789012345678/all/messages/${firstId}`);
    expect(discord.discordMessages.get(firstId).embeds[0].description).toContain('Resolved');
  });

  it('disables a channel whose URL is gone (404, Slack channel_not_found, channel_is_archived) and emails its owner', async () => {
    const cases = [
      { receiver: slack, name: 'gone-404', answer: { status: 404, body: 'no_service' } },
      { receiver: slack, name: 'archived', answer: { status: 410, body: 'channel_is_archived' } },
      { receiver: discord, name: 'deleted', answer: { status: 404, body: '{"message": "Unknown Webhook", "code": 10015}' } },
      { receiver: teams, name: 'removed-flow', answer: { status: 404, body: '' } },
    ];
    const ids: string[] = [];
    for (const c of cases) {
      c.receiver.respond(c.name, c.answer);
      ids.push(await subscribe({ type: c.receiver.platform, url: c.receiver.url(c.name), email: `${c.name}@example.org`, confirmed: true }));
    }
    const mails = smtp.messages.length;
    const incident = await declare('Gone channels test');
    await settled(incident);
    for (const id of ids) {
      const subscriber = (await api('GET', `/api/v1/subscribers/${id}`)).json();
      expect(subscriber.disabled_at, subscriber.url).not.toBeNull();
      expect(subscriber.disabled_reason).toMatch(/HTTP 4(04|10)/);
    }
    await pump();
    const owners = await smtp.waitFor(mails + cases.length);
    const told = owners.slice(mails).filter((m) => /was disabled/.test(m.parsed.subject ?? ''));
    expect(told.map((m) => m.envelope.rcptTo[0]).sort()).toEqual(cases.map((c) => `${c.name}@example.org`).sort());
    expect(told.find((m) => m.envelope.rcptTo[0] === 'archived@example.org')?.parsed.subject).toBe('[Acme Chat] Your Slack channel subscription was disabled');
    expect(told[0].parsed.text).toContain('no longer exists');
    // The URL is a credential: the owner is shown it elided.
    expect(told.map((m) => m.parsed.text).join()).not.toMatch(/gone-404|\/archived\b/);

    const reached = () => cases.map((c) => c.receiver.received.filter((r) => r.path.endsWith(`/${c.name}`)).length);
    expect(reached()).toEqual([1, 1, 1, 1]);
    const next = await declare('After disabling');
    await settled(next);
    expect(reached()).toEqual([1, 1, 1, 1]);
    for (const c of cases) c.receiver.respond(c.name, null);
  });

  it('retries a failing channel on the webhook schedule, then delivers once', async () => {
    slack.respond('flaky', { status: 503, body: 'service unavailable' });
    await subscribe({ type: 'slack', url: slack.url('flaky'), confirmed: true });
    const incident = await declare('Flaky slack');
    await vi.waitFor(async () => {
      const [row] = await t.db.query<{ state: string; attempts: number; next_attempt_at: Date }>(
        "SELECT d.state, d.attempts, d.next_attempt_at FROM delivery d JOIN outbox_event e ON e.id = d.event_id WHERE d.channel = 'slack' AND e.payload->>'incident_id' = $1 AND d.attempts > 0 AND d.state = 'pending'",
        [incident],
      );
      expect(row).toBeDefined();
    }, WAIT);
    slack.respond('flaky', null);
    t.clock.set(new Date(t.clock.now().getTime() + 10_000));
    await pump();
    await settled(incident);
    expect(slack.messages('flaky')).toHaveLength(1);
  });

  it('reminds every channel of a maintenance before it starts, once, whoever ticks and however often', async () => {
    await subscribe({ type: 'email', email: 'reader@example.org', confirmed: true });
    const start = new Date(t.clock.now().getTime() + 3 * 3600_000);
    const scheduled = await api('POST', '/api/v1/maintenances', {
      name: `Database upgrade ${HOSTILE}`,
      body: 'We upgrade the primary database.',
      scheduled_for: start.toISOString(),
      scheduled_until: new Date(start.getTime() + 3600_000).toISOString(),
    });
    expect(scheduled.statusCode, scheduled.body).toBe(201);
    const id = scheduled.json().id as string;
    expect(scheduled.json()).toMatchObject({ scheduled_remind_prior: true, scheduled_reminded_at: null });
    await pump();
    await settled(id);

    const ctx = t.app.serviceContext(SYSTEM_ACTORS.scheduler);
    expect(await sendMaintenanceReminders(ctx)).toEqual([]);
    t.clock.set(new Date(start.getTime() - 59 * 60_000));
    const others = t.database.kind === 'postgres' ? [{ ...ctx, db: await t.database.openAnother() }] : [ctx];
    const ticks = await Promise.all([sendMaintenanceReminders(ctx), ...others.map((other) => sendMaintenanceReminders(other)), sendMaintenanceReminders(ctx)]);
    // One of them (or the app's own maintenance job, ticking meanwhile) claimed it; none twice.
    expect(ticks.flat().filter((reminded) => reminded === id).length).toBeLessThanOrEqual(1);
    expect(await sendMaintenanceReminders(ctx)).toEqual([]);
    const events = await t.db.query("SELECT 1 FROM outbox_event WHERE type = 'maintenance.reminder' AND payload->>'incident_id' = $1", [id]);
    expect(events).toHaveLength(1);

    // On PostgreSQL the app's own dispatcher hears the outbox NOTIFY and may send it before this pump.
    await pump();
    const progress = await settled(id);
    const reminder = progress.notices.filter((n: { event_type: string }) => n.event_type === 'maintenance.reminder');
    expect(new Set(reminder.map((n: { channel: string }) => n.channel))).toEqual(new Set(['email', 'slack', 'discord', 'teams']));
    const slackReminder = slack.messages('all').at(-1)!.json;
    expect(slackReminder.text).toContain('Maintenance starts soon: Database upgrade');
    expect(teams.messages('all').at(-1)!.json.attachments[0].content.body[0].text).toMatch(/^Maintenance starts soon: Database upgrade/);
    await vi.waitFor(() => expect(smtp.messages.some((m) => m.parsed.subject?.startsWith('[Acme Chat] Reminder: Database upgrade'))).toBe(true), WAIT);

    await t.settle();
    const v2 = (await t.app.inject({ method: 'GET', url: '/api/v2/scheduled-maintenances.json' })).json();
    const shown = v2.scheduled_maintenances.find((m: { id: string }) => m.id === id);
    expect(shown).toMatchObject({ scheduled_remind_prior: true, scheduled_reminded_at: expect.any(String) });
  });

  it('a maintenance announced without a reminder, or less than its reminder ahead, reminds nobody', async () => {
    const at = t.clock.now().getTime();
    const window = (startInMinutes: number, extra: object = {}) =>
      api('POST', '/api/v1/maintenances', {
        name: 'Quiet window',
        body: 'x',
        scheduled_for: new Date(at + startInMinutes * 60_000).toISOString(),
        scheduled_until: new Date(at + (startInMinutes + 60) * 60_000).toISOString(),
        ...extra,
      });
    const none = await window(300, { scheduled_remind_prior: false });
    expect(none.json().scheduled_remind_prior).toBe(false);
    const soon = await window(30);
    const custom = await window(300, { scheduled_remind_prior: 15 });
    t.clock.set(new Date(at + 285 * 60_000 + 1));
    await sendMaintenanceReminders(t.app.serviceContext(SYSTEM_ACTORS.scheduler));
    const reminded = await t.db.query<{ id: string }>("SELECT payload->>'incident_id' AS id FROM outbox_event WHERE type = 'maintenance.reminder'");
    const ids = reminded.map((r) => r.id);
    expect(ids.filter((r) => r === custom.json().id)).toHaveLength(1);
    expect(ids).not.toContain(none.json().id);
    expect(ids).not.toContain(soon.json().id);
  });
});
