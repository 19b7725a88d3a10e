import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatChannel } from '../../src/channels/channel.ts';
import { createChatChannel } from '../../src/channels/chat-channel.ts';
import { startChatReceiver, type ChatReceiver } from '../helpers/chat-receivers.ts';

/**
 * The chat channel against loopback receivers that answer as Slack, Discord and Teams do. Time is
 * injected: the channel's `sleep` moves the shared clock the receivers judge the pace by, so a
 * message sent too soon is one the receiver refuses (429) and records as a violation.
 */
let clock = 1_800_000_000_000;
const now = () => clock;
const sleeps: number[] = [];
const sleep = async (ms: number) => {
  sleeps.push(ms);
  clock += ms;
};

let slack: ChatReceiver;
let discord: ChatReceiver;
let teams: ChatReceiver;
let chat: ChatChannel;

beforeAll(async () => {
  // Time is exact here: the receivers hold the URL to the full second.
  const exact = { now, minIntervalMs: 1000 };
  [slack, discord, teams] = await Promise.all([startChatReceiver('slack', exact), startChatReceiver('discord', exact), startChatReceiver('teams', exact)]);
  chat = createChatChannel({ allowPrivate: true, now, sleep });
});
afterAll(async () => {
  await chat.close();
  await Promise.all([slack.close(), discord.close(), teams.close()]);
});
beforeEach(() => {
  sleeps.length = 0;
  clock += 60_000;
});

const slackBody = JSON.stringify({ text: 'Hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Hello' } }] });
const discordBody = JSON.stringify({ allowed_mentions: { parse: [] }, embeds: [{ title: 'Hello', description: 'World' }] });

describe('pacing: about one message per second per URL', () => {
  it('queues the second and third message to one Slack URL (none dropped), and never holds up another URL', async () => {
    const url = slack.url('paced');
    for (let i = 0; i < 3; i++) expect(await chat.post({ platform: 'slack', url, body: slackBody })).toMatchObject({ ok: true });
    expect(sleeps).toEqual([1000, 1000]);
    expect(await chat.post({ platform: 'slack', url: slack.url('other'), body: slackBody })).toMatchObject({ ok: true });
    expect(sleeps).toEqual([1000, 1000]);
    expect(slack.messages('paced')).toHaveLength(3);
    expect(slack.violations).toEqual([]);
  });

  it('the receiver refuses a message sent too soon (the check can fail)', async () => {
    const unpaced = createChatChannel({ allowPrivate: true, now, sleep, minIntervalMs: 0 });
    const url = slack.url('too-fast');
    expect(await unpaced.post({ platform: 'slack', url, body: slackBody })).toMatchObject({ ok: true });
    expect(await unpaced.post({ platform: 'slack', url, body: slackBody })).toMatchObject({ ok: false, permanent: false, retryAfterMs: 1000 });
    expect(slack.violations.splice(0)).toEqual([expect.stringContaining('too-fast: two messages 0 ms apart')]);
    await unpaced.close();
  });
});

describe('429: the receiver says when to come back', () => {
  it("Slack's Retry-After is honoured, and the URL gets nothing until then (handed back to the queue, not dropped)", async () => {
    slack.respond('busy', { status: 429, body: 'rate_limited', headers: { 'retry-after': '30' } });
    const url = slack.url('busy');
    expect(await chat.post({ platform: 'slack', url, body: slackBody })).toMatchObject({ ok: false, permanent: false, retryAfterMs: 30_000 });
    const before = slack.received.length;
    const next = await chat.post({ platform: 'slack', url, body: slackBody });
    expect(next).toMatchObject({ ok: false, permanent: false, retryAfterMs: 30_000 });
    expect(slack.received.length).toBe(before);
    slack.respond('busy', null);
  });

  it("Discord's JSON retry_after counts when it asks longer than the header", async () => {
    discord.respond('busy', {
      status: 429,
      body: JSON.stringify({ message: 'You are being rate limited.', retry_after: 2.5, global: false }),
      headers: { 'retry-after': '1', 'content-type': 'application/json' },
    });
    expect(await chat.post({ platform: 'discord', url: discord.url('busy'), body: discordBody })).toMatchObject({
      ok: false,
      permanent: false,
      retryAfterMs: 2500,
    });
  });

  it("Teams' legacy connectors hide a 429 in a 200's body: retried, not counted as delivered", async () => {
    teams.respond('hidden', { status: 200, body: 'Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0' });
    expect(await chat.post({ platform: 'teams', url: teams.url('hidden'), body: '{}' })).toMatchObject({ ok: false, permanent: false });
  });
});

describe('what disables a channel, what is retried, what is final', () => {
  it.each([
    ['slack', 404, 'no_service', true],
    ['slack', 410, 'channel_is_archived', true],
    ['slack', 403, 'invalid_token', true],
    ['slack', 404, 'channel_not_found', true],
    ['slack', 403, 'action_prohibited', false],
    ['slack', 400, 'invalid_payload', false],
    ['discord', 404, '{"message": "Unknown Webhook", "code": 10015}', true],
    ['discord', 410, '', true],
    ['teams', 404, '', true],
    ['teams', 400, 'Bad Request', false],
  ] as const)('%s answering %i %s: disable = %s, permanent', async (platform, status, body, disable) => {
    const receiver = { slack, discord, teams }[platform];
    receiver.respond('answer', { status, body });
    const outcome = await chat.post({ platform, url: receiver.url('answer'), body: '{}' });
    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(!outcome.ok && outcome.disable === true).toBe(disable);
    receiver.respond('answer', null);
  });

  it.each([500, 502, 503, 408])('%i is retried', async (status) => {
    slack.respond('flaky', { status, body: 'oops' });
    expect(await chat.post({ platform: 'slack', url: slack.url('flaky'), body: slackBody })).toMatchObject({ ok: false, permanent: false });
    slack.respond('flaky', null);
  });

  it('a redirect is never followed', async () => {
    teams.respond('moved', { status: 302, headers: { location: 'http://169.254.169.254/' } });
    expect(await chat.post({ platform: 'teams', url: teams.url('moved'), body: '{}' })).toMatchObject({ ok: false, permanent: true });
  });

  it('never puts the URL (a credential) in an error text', async () => {
    slack.respond('secret-token-123', { status: 500, body: 'server error' });
    const outcome = await chat.post({ platform: 'slack', url: slack.url('secret-token-123'), body: slackBody });
    expect(!outcome.ok && outcome.error).not.toContain('secret-token-123');
    const refused = await chat.post({ platform: 'slack', url: 'http://127.0.0.1:1/services/T/B/secret-token-456', body: slackBody });
    expect(!refused.ok && refused.error).not.toContain('secret-token-456');
  });
});

describe('Discord: ?wait=true, and one message kept current', () => {
  it('posts with wait=true, learns the message id, and edits that message later', async () => {
    const url = discord.url('evolving');
    const posted = await chat.post({ platform: 'discord', url, body: discordBody });
    expect(posted).toMatchObject({ ok: true });
    const messageId = posted.ok ? posted.messageId : undefined;
    expect(messageId).toMatch(/^\d+$/);
    expect(discord.received.at(-1)?.query.get('wait')).toBe('true');
    const edited = await chat.editDiscordMessage({
      url,
      messageId: messageId as string,
      body: JSON.stringify({ allowed_mentions: { parse: [] }, embeds: [{ title: 'Resolved' }] }),
    });
    expect(edited).toMatchObject({ ok: true });
    expect(discord.received.at(-1)).toMatchObject({ method: 'PATCH', path: `/api/webhooks/123456789012345678/evolving/messages/${messageId}` });
    expect(discord.discordMessages.get(messageId as string).embeds[0].title).toBe('Resolved');
    expect(discord.violations).toEqual([]);
  });
});

describe('the SSRF guard', () => {
  it('refuses loopback and private addresses when private webhooks are not allowed, without connecting', async () => {
    const guarded = createChatChannel({ allowPrivate: false, now, sleep });
    const before = slack.received.length;
    for (const url of [slack.url('x'), 'https://127.0.0.1/services/T/B/x', 'https://169.254.169.254/services/T/B/x', 'https://[::1]/x']) {
      const outcome = await guarded.post({ platform: 'slack', url, body: slackBody });
      expect(outcome, url).toMatchObject({ ok: false, permanent: true, error: expect.stringMatching(/^blocked: /) });
    }
    expect(slack.received.length).toBe(before);
    await guarded.close();
  });
});
