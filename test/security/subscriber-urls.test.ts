import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledOperator } from '../../src/domain/actor.ts';
import { elideSubscriberUrl } from '../../src/domain/subscriber-url.ts';
import { presentV1Subscriber } from '../../src/presenters/statuspage-v1.ts';
import { findSubscriber } from '../../src/queries/subscriber-list.ts';
import { registerChatChannel } from '../../src/services/subscribers/register-chat-channel.ts';
import { registerWebhook } from '../../src/services/subscribers/register-webhook.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { consoleClient, type ConsoleSession } from '../helpers/console-client.ts';

/**
 * A webhook's or chat channel's URL is its credential: whoever reads it can post to it. Only a
 * caller who may manage subscribers sees one whole; a viewer sees the host and the last characters.
 */

const WEBHOOK = 'https://hooks.example.com/hooks/WebhookSecret9876abcd';
const SLACK = 'https://hooks.slack.com/services/T0TEAMSECRET/B0BOTSECRET/SlackTokenSecretWXYZ';
const SECRETS = ['WebhookSecret9876', 'T0TEAMSECRET', 'B0BOTSECRET', 'SlackTokenSecret'];
const OWNER = 'chat-owner@example.org';

describe('subscriber endpoint URLs are elided for callers who may not manage subscribers', () => {
  let t: TestApp;
  let viewer: ConsoleSession;
  let responder: ConsoleSession;
  let webhookId: string;
  const client = () => consoleClient(t);

  beforeAll(async () => {
    t = await startTestApp();
    const operator = t.app.serviceContext(labelledOperator('test'));
    const accept = async () => ({ ok: true as const });
    webhookId = (await registerWebhook(operator, { type: 'webhook', url: WEBHOOK }, accept, () => 'whsec_x')).subscriber.id;
    const chat = await registerChatChannel(operator, { url: SLACK, email: OWNER, confirmed: true }, { checkUrl: accept, allowLoopback: false });
    // Both recipients' deliveries of one notice failed every retry.
    const [{ id: eventId }] = await t.db.query<{ id: string }>(
      "INSERT INTO outbox_event (type, payload, created_at, dispatched_at) VALUES ('incident.updated', '{}', $1, $1) RETURNING id",
      [t.clock.now()],
    );
    await t.db.query(
      `INSERT INTO delivery (event_id, subscriber_id, channel, state, attempts, next_attempt_at, created_at, last_error)
       SELECT $1, s.id, s.type, 'dead', 8, $2, $2, 'HTTP 410' FROM subscriber s WHERE s.id = ANY($3::text[])`,
      [eventId, t.clock.now(), [webhookId, chat.id]],
    );
    await client().account('viewer@acme.example', 'viewer');
    await client().account('responder@acme.example', 'responder');
    viewer = await client().signIn('viewer@acme.example');
    responder = await client().signIn('responder@acme.example');
  });
  afterAll(() => t.close());

  const expectNoSecret = (body: string) => {
    for (const secret of SECRETS) expect(body).not.toContain(secret);
  };

  it('elides to scheme, host and the last four characters', () => {
    expect(elideSubscriberUrl(WEBHOOK)).toBe('https://hooks.example.com/…abcd');
    expect(elideSubscriberUrl('not a url')).toBe('…');
    // A short path would be mostly shown by its tail: none of it is.
    expect(elideSubscriberUrl('https://hooks.example.com/x')).toBe('https://hooks.example.com/…');
  });

  it('the console subscribers list shows a viewer elided URLs, and a responder the webhook URL whole', async () => {
    const seen = await client().get('/console/subscribers', viewer);
    expect(seen.statusCode).toBe(200);
    expectNoSecret(seen.body);
    expect(seen.body).toContain('https://hooks.example.com/…abcd');
    expect(seen.body).toContain('https://hooks.slack.com/…');
    const managed = await client().get('/console/subscribers?type=webhook', responder);
    expect(managed.body).toContain(WEBHOOK);
  });

  it("a viewer's search does not match URLs (no guessing a secret one character at a time)", async () => {
    const guessed = await client().get('/console/subscribers?search=WebhookSecret9', viewer);
    expect(guessed.statusCode).toBe(200);
    expect(guessed.body).not.toContain('hooks.example.com');
    const byResponder = await client().get('/console/subscribers?search=WebhookSecret9', responder);
    expect(byResponder.body).toContain(WEBHOOK);
  });

  it('dead letters show a viewer the elided URL a chat delivery went to, not its owner', async () => {
    const dead = await client().get('/console/deliveries/dead', viewer);
    expect(dead.statusCode).toBe(200);
    expectNoSecret(dead.body);
    expect(dead.body).not.toContain(OWNER);
    expect(dead.body).toContain('https://hooks.slack.com/…');
    expect(dead.body).toContain('https://hooks.example.com/…abcd');
  });

  it("the audit log does not keep a webhook's URL whole", async () => {
    const audit = await client().get('/console/audit', viewer);
    expect(audit.statusCode).toBe(200);
    expect(audit.body).toContain('https://hooks.example.com/…abcd');
    expect(audit.body).not.toContain('WebhookSecret9876');
    // A chat URL is audited as elideChatUrl writes it, its token left out (as it always was).
    expect(audit.body).not.toContain('SlackTokenSecret');
  });

  it('API answers: whole for a manager; elided in the Statuspage door without subscriber.manage', async () => {
    const token = await t.token('subscribers:write');
    const one = await t.app.inject({ method: 'GET', url: `/api/v1/subscribers/${webhookId}`, headers: { authorization: `Bearer ${token}` } });
    expect(one.json().url).toBe(WEBHOOK);
    const dead = await t.app.inject({ method: 'GET', url: '/api/v1/deliveries/dead', headers: { authorization: `Bearer ${token}` } });
    expect(dead.json().deliveries.map((d: { recipient: string }) => d.recipient)).not.toContain(OWNER);
    const subscriber = await findSubscriber(t.db, webhookId);
    expect(presentV1Subscriber(subscriber!, [], false).endpoint).toBe('https://hooks.example.com/…abcd');
    expect(presentV1Subscriber(subscriber!, [], true).endpoint).toBe(WEBHOOK);
  });
});
