import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { validateTeamsCard } from './adaptive-card.ts';

/**
 * Loopback stand-ins for Slack, Discord and Microsoft Teams incoming webhooks. Each one checks every
 * message against its platform's documented shapes and limits and answers as the platform would
 * when something is wrong (Slack `400 invalid_blocks`, Discord `400 {code: 50035}`, Teams `400`),
 * records what it got and every rule broken (`violations`, which a test expects to stay empty),
 * and holds each URL to about one message per second (429 with Retry-After otherwise): two
 * messages to one URL less than `minIntervalMs` apart (default 500 ms, so the network's jitter
 * between two sends paced a second apart is no violation, while unpaced sends are) are refused.
 *
 * One server per platform stands in for any number of channels: a channel is a path
 * (`/services/T/B/<name>`, `/api/webhooks/<id>/<name>`, `/workflows/<name>`); `respond` makes one
 * channel answer otherwise (gone, rate limited, broken).
 */

export type ChatPlatformName = 'slack' | 'discord' | 'teams';

export interface ChatRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  /** The receiver's clock when it arrived. */
  at: number;
}

export interface ChatReceiver {
  platform: ChatPlatformName;
  /** The URL of channel `name` on this receiver. */
  url(name: string): string;
  /** Every request, in arrival order. */
  received: ChatRequest[];
  /** Messages accepted for channel `name` (requests that broke no rule and got a success). */
  messages(name: string): ChatRequest[];
  /** Rules broken by any request: a test expects none. */
  violations: string[];
  /** Discord: the current content of each message id, after PATCHes. */
  discordMessages: Map<string, any>;
  /** Makes channel `name` answer `status` with `body` (and headers) from now on; `null` restores the normal answer. */
  respond(name: string, answer: { status: number; body?: string; headers?: Record<string, string> } | null): void;
  close(): Promise<void>;
}

const SLACK_BLOCK_TYPES = new Set(['header', 'section', 'actions', 'context', 'divider']);

function channelOf(platform: ChatPlatformName, path: string): string | null {
  const patterns: Record<ChatPlatformName, RegExp> = {
    slack: /^\/services\/T[^/]+\/B[^/]+\/([^/]+)$/,
    discord: /^\/api\/webhooks\/\d+\/([^/]+)(?:\/messages\/\d+)?$/,
    teams: /^\/workflows\/([^/]+)$/,
  };
  return patterns[platform].exec(path)?.[1] ?? null;
}

const chars = (text: unknown) => (typeof text === 'string' ? [...text].length : 0);

/**
 * Slack mrkdwn may hold links we wrote (`<https://…|text>`, `<mailto:…>`) and nothing else in
 * angle brackets: `<!channel>`, `<!here>`, `<@U…>`, `<#C…>` would notify or link whatever the text says.
 */
export function slackMentionProblem(text: string): string | null {
  const withoutLinks = text.replace(/<(https?:\/\/|mailto:)[^<>|\s]+(\|[^<>]*)?>/g, '');
  if (/<[!@#]/.test(withoutLinks)) return `a mention or special link in mrkdwn: ${JSON.stringify(text.slice(0, 200))}`;
  if (withoutLinks.includes('<')) return `an unescaped "<" in mrkdwn: ${JSON.stringify(text.slice(0, 200))}`;
  if (/&(?!amp;|lt;|gt;)/.test(text)) return `an unescaped "&" in mrkdwn: ${JSON.stringify(text.slice(0, 200))}`;
  return null;
}

/** Slack incoming webhook rules (Block Kit reference: block and text object limits). */
export function slackProblems(json: any): string[] {
  const problems: string[] = [];
  if (typeof json?.text !== 'string' || json.text.trim() === '') problems.push('text (the notification fallback) is missing');
  else {
    if (chars(json.text) > 40_000) problems.push('text over 40,000 characters');
    const mention = slackMentionProblem(json.text);
    if (mention) problems.push(`text: ${mention}`);
  }
  const blocks = json?.blocks;
  if (!Array.isArray(blocks) || blocks.length === 0) return [...problems, 'blocks missing'];
  if (blocks.length > 50) problems.push('more than 50 blocks');
  const mrkdwn = (where: string, object: any, max: number) => {
    if (!object || (object.type !== 'mrkdwn' && object.type !== 'plain_text')) return problems.push(`${where}: not a text object`);
    if (typeof object.text !== 'string' || object.text.length === 0) return problems.push(`${where}: empty text`);
    if (chars(object.text) > max) problems.push(`${where}: ${chars(object.text)} characters, over ${max}`);
    if (object.type === 'mrkdwn') {
      const mention = slackMentionProblem(object.text);
      if (mention) problems.push(`${where}: ${mention}`);
    }
  };
  for (const [index, block] of blocks.entries()) {
    const where = `blocks[${index}]`;
    if (!SLACK_BLOCK_TYPES.has(block?.type)) {
      problems.push(`${where}: unknown type ${block?.type}`);
      continue;
    }
    if (block.type === 'header') {
      if (block.text?.type !== 'plain_text') problems.push(`${where}: a header takes plain_text only`);
      mrkdwn(where, block.text, 150);
    }
    if (block.type === 'section') {
      if (!block.text && !block.fields) problems.push(`${where}: a section needs text or fields`);
      if (block.text) mrkdwn(`${where}.text`, block.text, 3000);
      if (block.fields) {
        if (block.fields.length > 10) problems.push(`${where}: more than 10 fields`);
        for (const [i, field] of block.fields.entries()) mrkdwn(`${where}.fields[${i}]`, field, 2000);
      }
    }
    if (block.type === 'actions') {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) problems.push(`${where}: 1 to 25 elements`);
      for (const [i, element] of (block.elements ?? []).entries()) {
        if (element.type !== 'button') problems.push(`${where}.elements[${i}]: not a button`);
        if (element.text?.type !== 'plain_text') problems.push(`${where}.elements[${i}]: button text must be plain_text`);
        mrkdwn(`${where}.elements[${i}].text`, element.text, 75);
        if (typeof element.url !== 'string' || chars(element.url) > 3000 || !/^https?:\/\//.test(element.url))
          problems.push(`${where}.elements[${i}]: bad url`);
      }
    }
    if (block.type === 'context') {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) problems.push(`${where}: 1 to 10 elements`);
      for (const [i, element] of (block.elements ?? []).entries()) mrkdwn(`${where}.elements[${i}]`, element, 3000);
    }
  }
  return problems;
}

/** Discord execute-webhook rules (embed limits: title 256, description 4096, 25 fields of 256/1024, footer 2048, 6000 in all). */
export function discordProblems(json: any): string[] {
  const problems: string[] = [];
  const embeds = json?.embeds;
  if (typeof json?.content !== 'string' && !Array.isArray(embeds)) return ['neither content nor embeds'];
  if (typeof json?.content === 'string' && chars(json.content) > 2000) problems.push('content over 2000 characters');
  if (!Array.isArray(json?.allowed_mentions?.parse) || json.allowed_mentions.parse.length !== 0)
    problems.push('allowed_mentions.parse is not [] (an @everyone in the text would ping the channel)');
  if (json?.username !== undefined && (chars(json.username) > 80 || /discord|clyde/i.test(json.username))) problems.push('username Discord refuses');
  if (Array.isArray(embeds)) {
    if (embeds.length > 10) problems.push('more than 10 embeds');
    let total = 0;
    for (const [index, embed] of embeds.entries()) {
      const where = `embeds[${index}]`;
      for (const forbidden of ['type', 'provider', 'video']) if (embed[forbidden] !== undefined) problems.push(`${where}.${forbidden} cannot be set`);
      if (chars(embed.title) > 256) problems.push(`${where}.title over 256`);
      if (chars(embed.description) > 4096) problems.push(`${where}.description over 4096`);
      if (embed.url !== undefined && !URL.canParse(embed.url)) problems.push(`${where}.url is not a URL`);
      if (embed.color !== undefined && (!Number.isInteger(embed.color) || embed.color < 0 || embed.color > 0xffffff)) problems.push(`${where}.color`);
      if (embed.timestamp !== undefined && Number.isNaN(Date.parse(embed.timestamp))) problems.push(`${where}.timestamp`);
      const fields = embed.fields ?? [];
      if (fields.length > 25) problems.push(`${where}: more than 25 fields`);
      for (const [i, field] of fields.entries()) {
        if (chars(field.name) === 0 || chars(field.name) > 256) problems.push(`${where}.fields[${i}].name must be 1-256`);
        if (chars(field.value) === 0 || chars(field.value) > 1024) problems.push(`${where}.fields[${i}].value must be 1-1024`);
        total += chars(field.name) + chars(field.value);
      }
      if (chars(embed.footer?.text) > 2048) problems.push(`${where}.footer.text over 2048`);
      total += chars(embed.title) + chars(embed.description) + chars(embed.footer?.text) + chars(embed.author?.name);
    }
    if (total > 6000) problems.push(`embeds hold ${total} characters, over 6000`);
  }
  return problems;
}

/** Teams Workflows rules: a `message` with one Adaptive Card (≤ 1.4), the headline first, parsed by the adaptivecards library. */
export function teamsProblems(json: any): string[] {
  const problems: string[] = [];
  if (json?.type !== 'message') problems.push('type is not "message"');
  const attachments = json?.attachments;
  if (!Array.isArray(attachments) || attachments.length !== 1) return [...problems, 'not exactly one attachment'];
  const [attachment] = attachments;
  if (attachment.contentType !== 'application/vnd.microsoft.card.adaptive') problems.push('contentType is not an Adaptive Card');
  const card = attachment.content;
  if (card?.type !== 'AdaptiveCard') return [...problems, 'content is not an AdaptiveCard'];
  const [major, minor] = String(card.version).split('.').map(Number);
  if (!(major === 1 && minor <= 4)) problems.push(`card version ${card.version} is above 1.4 (Teams over Workflows)`);
  const first = card.body?.[0];
  if (first?.type !== 'TextBlock' || typeof first.text !== 'string' || first.text.trim() === '')
    problems.push('the first body element is not a TextBlock with the headline (the notification preview shows only it)');
  for (const action of card.actions ?? [])
    if (action.type === 'Action.Submit' || action.type === 'Action.Execute') problems.push(`${action.type} does not work over webhooks`);
  problems.push(...validateTeamsCard(card));
  if (JSON.stringify(json).length > 28_000) problems.push('message over 28 KB');
  return problems;
}

const PROBLEMS: Record<ChatPlatformName, (json: any) => string[]> = { slack: slackProblems, discord: discordProblems, teams: teamsProblems };

export async function startChatReceiver(platform: ChatPlatformName, options: { now?: () => number; minIntervalMs?: number } = {}): Promise<ChatReceiver> {
  const now = options.now ?? Date.now;
  const minInterval = options.minIntervalMs ?? 500;
  const received: ChatRequest[] = [];
  const accepted: ChatRequest[] = [];
  const violations: string[] = [];
  const overrides = new Map<string, { status: number; body?: string; headers?: Record<string, string> }>();
  const lastAt = new Map<string, number>();
  const discordMessages = new Map<string, any>();
  let nextId = 1_100_000_000_000_000_000n;

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://receiver');
      const body = Buffer.concat(chunks).toString('utf8');
      let json: any = null;
      try {
        json = JSON.parse(body);
      } catch {
        // judged below
      }
      const entry: ChatRequest = { method: request.method ?? '', path: url.pathname, query: url.searchParams, headers: request.headers, body, json, at: now() };
      received.push(entry);
      const name = channelOf(platform, url.pathname);
      const answer = (status: number, text = '', headers: Record<string, string> = {}) => response.writeHead(status, headers).end(text);
      if (!name) return answer(404, platform === 'slack' ? 'no_service' : '{"message": "Unknown Webhook", "code": 10015}');
      const override = overrides.get(name);
      if (override) return answer(override.status, override.body ?? '', override.headers ?? {});

      const editing = platform === 'discord' && request.method === 'PATCH';
      if (request.method !== 'POST' && !editing) return answer(405);
      if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) violations.push(`${platform}: content-type is not JSON`);
      const problems = json === null ? ['not JSON'] : PROBLEMS[platform](json);
      if (problems.length > 0) {
        violations.push(...problems.map((p) => `${platform} ${name}: ${p}`));
        if (platform === 'slack') return answer(400, 'invalid_blocks');
        if (platform === 'discord') return answer(400, JSON.stringify({ code: 50035, message: 'Invalid Form Body' }), { 'content-type': 'application/json' });
        return answer(400, 'Bad Request');
      }
      if (editing) {
        const id = /\/messages\/(\d+)$/.exec(url.pathname)?.[1] ?? '';
        if (!discordMessages.has(id)) return answer(404, JSON.stringify({ message: 'Unknown Message', code: 10008 }), { 'content-type': 'application/json' });
        discordMessages.set(id, json);
        return answer(200, JSON.stringify({ id, ...json }), { 'content-type': 'application/json' });
      }
      // About one message per second per URL; faster is refused, as Slack does (Discord tells the wait in JSON too).
      const previous = lastAt.get(name);
      if (previous !== undefined && entry.at - previous < minInterval) {
        violations.push(`${platform} ${name}: two messages ${entry.at - previous} ms apart`);
        if (platform === 'discord')
          return answer(429, JSON.stringify({ message: 'You are being rate limited.', retry_after: 1, global: false }), {
            'content-type': 'application/json',
            'retry-after': '1',
          });
        return answer(429, platform === 'slack' ? 'rate_limited' : '', { 'retry-after': '1' });
      }
      lastAt.set(name, entry.at);
      accepted.push(entry);
      if (platform === 'slack') return answer(200, 'ok', { 'content-type': 'text/plain' });
      if (platform === 'teams') return answer(202);
      if (url.searchParams.get('wait') !== 'true') {
        violations.push(`discord ${name}: posted without ?wait=true (a dropped message would look delivered)`);
        return answer(204);
      }
      const id = String(nextId++);
      discordMessages.set(id, json);
      return answer(200, JSON.stringify({ id, type: 0, channel_id: '1', ...json }), { 'content-type': 'application/json' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const base = `http://127.0.0.1:${port}`;
  const pathOf: Record<ChatPlatformName, (name: string) => string> = {
    slack: (name) => `/services/T0001/B0001/${name}`,
    discord: (name) => `/api/webhooks/123456789012345678/${name}`,
    teams: (name) => `/workflows/${name}`,
  };
  return {
    platform,
    url: (name) => `${base}${pathOf[platform](name)}`,
    received,
    messages: (name) => accepted.filter((r) => channelOf(platform, r.path) === name && r.method === 'POST'),
    violations,
    discordMessages,
    respond: (name, answer) => (answer ? overrides.set(name, answer) : overrides.delete(name)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
