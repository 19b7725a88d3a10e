/**
 * Chat channel: posts Slack, Discord and Microsoft Teams messages to incoming-webhook URLs through a
 * dedicated undici Agent whose connections go through the SSRF guard (as webhooks do). Each
 * platform's answers are read its own way: what disables the subscriber (the URL is gone), what is
 * worth retrying (429 with its wait, 5xx, timeouts), what is final. At most one message per second
 * leaves for one URL (Slack's limit; the others allow about as much), later ones wait their turn.
 * The URL is a credential: it never appears in an error text.
 */
import { Agent } from 'undici';
import type { ChatPlatform } from '../domain/chat-platform.ts';
import type { ChatChannel, ChatPost, SendOutcome } from './channel.ts';
import { checkWebhookUrlSyntax, findBlockedAddressError, guardedLookup, plainLookup, type LookupFn } from './ssrf-guard.ts';
import { describeError, errorText, failure, parseRetryAfter, readBounded } from './webhook-channel.ts';

export interface ChatChannelOptions {
  /** Allow loopback/private receivers (development and tests only). */
  allowPrivate: boolean;
  /** Total time for connect, TLS, request and response. */
  timeoutMs?: number;
  /** Least time between two messages to one URL. */
  minIntervalMs?: number;
  /** Resolver used at connect time (injected by tests). */
  lookup?: LookupFn;
  /** Clock (ms) for pacing and Retry-After dates; injectable with `sleep` so tests need not wait. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MIN_INTERVAL_MS = 1_000;
/** A message that would wait longer than this for its URL's turn is handed back to the queue instead. */
const MAX_PACING_WAIT_MS = 10_000;
const USER_AGENT = 'Lifeline-Chat/1';

/** Slack's answers that mean the incoming webhook will never work again (its app, channel or team is gone). */
const SLACK_GONE = ['invalid_token', 'channel_not_found', 'channel_is_archived', 'no_service'];

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * One message at a time per URL, each at least `intervalMs` after the previous one was answered:
 * the receiver counts arrivals, and a slow first request must not bring the second one too close
 * to it. Sends wait their turn in the order they come; a 429's wait pushes the URL's turn back.
 */
class UrlPacer {
  /** Per URL: the end of the queue (resolves when the last send queued is done), how many wait, when it is free. */
  private readonly urls = new Map<string, { tail: Promise<void>; queued: number; freeAt: number }>();
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(intervalMs: number, now: () => number, sleep: (ms: number) => Promise<void>) {
    this.intervalMs = intervalMs;
    this.now = now;
    this.sleep = sleep;
  }

  /** How long the URL's queue will take at least; sends that would wait longer are handed back to the delivery queue. */
  backlogMs(url: string): number {
    const state = this.urls.get(url);
    if (!state) return 0;
    return Math.max(0, state.freeAt - this.now()) + state.queued * this.intervalMs;
  }

  async run(url: string, send: () => Promise<SendOutcome>): Promise<SendOutcome> {
    this.sweep();
    const state = this.urls.get(url) ?? { tail: Promise.resolve(), queued: 0, freeAt: 0 };
    this.urls.set(url, state);
    const previous = state.tail;
    let done!: () => void;
    state.tail = new Promise<void>((resolve) => (done = resolve));
    state.queued++;
    try {
      await previous;
      const wait = state.freeAt - this.now();
      if (wait > 0) await this.sleep(wait);
      const outcome = await send();
      const hold = !outcome.ok && outcome.retryAfterMs !== undefined ? outcome.retryAfterMs : 0;
      state.freeAt = this.now() + Math.max(this.intervalMs, hold);
      return outcome;
    } finally {
      state.queued--;
      done();
    }
  }

  /** Many URLs seen: forget those idle and free again, so the map stays small. */
  private sweep(): void {
    if (this.urls.size < 10_000) return;
    const now = this.now();
    for (const [url, state] of this.urls) if (state.queued === 0 && state.freeAt <= now) this.urls.delete(url);
  }
}

/** Discord tells its wait in the JSON body too (`retry_after`, seconds), sometimes longer than the header. */
function discordRetryAfterMs(body: string): number | undefined {
  try {
    const seconds = (JSON.parse(body) as { retry_after?: unknown }).retry_after;
    return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.min(Math.ceil(seconds * 1000), 24 * 3600_000) : undefined;
  } catch {
    return undefined;
  }
}

/** The id of the message Discord created (`?wait=true` answers the message object). */
function discordMessageId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' && /^\d{1,25}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Discord's URL with `wait=true`, so a message Discord drops is an error, not a silent 204. */
function discordPostUrl(url: URL): URL {
  const withWait = new URL(url);
  withWait.searchParams.set('wait', 'true');
  return withWait;
}

/** The URL to edit message `messageId` posted through a Discord webhook (a thread id in the query stays). */
function discordMessageUrl(url: URL, messageId: string): URL {
  const edit = new URL(url);
  edit.pathname = `${edit.pathname.replace(/\/+$/, '')}/messages/${messageId}`;
  edit.searchParams.delete('wait');
  return edit;
}

export function createChatChannel(options: ChatChannelOptions): ChatChannel {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const pacer = new UrlPacer(options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS, now, sleep);
  const lookup = !options.allowPrivate ? guardedLookup({ lookup: options.lookup }) : options.lookup ? plainLookup(options.lookup) : undefined;

  // Dedicated Agent: user-supplied URLs never share sockets or policy with internal HTTP clients.
  // Every Slack channel is one origin (hooks.slack.com), every Discord one another: room for many at once.
  const agent = new Agent({
    connections: 16,
    pipelining: 1,
    allowH2: false,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: Math.min(timeoutMs, 10_000), keepAlive: true, ...(lookup ? { lookup } : {}) },
  });

  /** What the platform's answer means: sent, gone (disable the subscriber), retry later, or final. */
  function outcomeOf(platform: ChatPlatform, status: number, body: string, retryAfterHeader: string | string[] | undefined): SendOutcome {
    const slackError = platform === 'slack' ? SLACK_GONE.find((code) => body.trim() === code || body.includes(code)) : undefined;
    if (slackError) return failure(true, errorText(status, body, `Slack says the webhook is gone (${slackError}), disabling`), { disable: true });
    // Teams' legacy connectors answer 200 with the throttling in the body.
    const hidden429 = platform === 'teams' && status >= 200 && status < 300 && /HTTP error 429/.test(body);
    if (status >= 200 && status < 300 && !hidden429)
      return { ok: true, detail: `HTTP ${status}`, messageId: platform === 'discord' ? discordMessageId(body) : undefined };
    if (status >= 300 && status < 400) return failure(true, errorText(status, '', 'redirects are not followed'));
    if (status === 404 || status === 410) return failure(true, errorText(status, body, 'the webhook is gone, disabling'), { disable: true });
    if (status === 429 || hidden429) {
      const header = parseRetryAfter(retryAfterHeader, now());
      const json = platform === 'discord' ? discordRetryAfterMs(body) : undefined;
      const waits = [header, json].filter((ms): ms is number => ms !== undefined);
      return failure(false, errorText(status, body, 'rate limited'), { retryAfterMs: waits.length > 0 ? Math.max(...waits) : undefined });
    }
    if (status === 408 || status >= 500) return failure(false, errorText(status, body), { retryAfterMs: parseRetryAfter(retryAfterHeader, now()) });
    return failure(true, errorText(status, body));
  }

  async function request(platform: ChatPlatform, url: URL, method: 'POST' | 'PATCH', body: string): Promise<SendOutcome> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      const response = await agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT },
        body,
        signal: controller.signal,
      });
      const text = await readBounded(response.body);
      return outcomeOf(platform, response.statusCode, text, response.headers['retry-after']);
    } catch (err) {
      const blocked = findBlockedAddressError(err);
      if (blocked) return failure(true, `blocked: ${blocked.reason}`);
      if (timedOut) return failure(false, `timed out after ${timeoutMs} ms`);
      return failure(false, describeError(err));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the URL's turn and sends; a backlog longer than MAX_PACING_WAIT_MS goes back to the queue (not dropped). */
  async function paced(url: URL, send: () => Promise<SendOutcome>): Promise<SendOutcome> {
    const backlog = pacer.backlogMs(url.href);
    if (backlog > MAX_PACING_WAIT_MS) return failure(false, 'rate limited: this channel still waits for its turn', { retryAfterMs: backlog });
    return pacer.run(url.href, send);
  }

  const checked = (url: string) => checkWebhookUrlSyntax(url, { allowPrivate: options.allowPrivate });

  return {
    async post({ platform, url, body }: ChatPost): Promise<SendOutcome> {
      // Re-checked at send time: IP-literal hosts never reach the lookup, so they (and names) are judged here.
      const check = checked(url);
      if (!check.ok) return failure(true, `blocked: ${check.reason}`);
      const target = platform === 'discord' ? discordPostUrl(check.url!) : check.url!;
      return paced(check.url!, () => request(platform, target, 'POST', body));
    },
    async editDiscordMessage({ url, messageId, body }): Promise<SendOutcome> {
      const check = checked(url);
      if (!check.ok) return failure(true, `blocked: ${check.reason}`);
      if (!/^\d{1,25}$/.test(messageId)) return failure(true, 'not a Discord message id');
      // Not paced: Discord takes a few requests per second per webhook, and the edit follows a post at once.
      return request('discord', discordMessageUrl(check.url!, messageId), 'PATCH', body);
    },
    async close(): Promise<void> {
      await agent.close();
    },
  };
}
