/**
 * Webhook channel: signed (Standard Webhooks) POSTs through a dedicated undici Agent whose
 * connections go through the SSRF guard. Redirects are never followed; 3xx is a failure.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Agent } from 'undici';
import type { SendOutcome, WebhookChannel, WebhookRequest } from './channel.ts';
import { checkWebhookUrlSyntax, findBlockedAddressError, guardedLookup, plainLookup, type LookupFn } from './ssrf-guard.ts';

export interface WebhookChannelOptions {
  /** Allow loopback/private receivers (development and tests only). */
  allowPrivate: boolean;
  /** Total time for connect, TLS, request and response. */
  timeoutMs?: number;
  /** Requests in flight per origin, so one slow receiver cannot take the whole pool. */
  maxPerEndpoint?: number;
  /** Sockets per origin in the Agent; defaults to maxPerEndpoint. */
  connections?: number;
  /** Resolver used at connect time (injected by tests). */
  lookup?: LookupFn;
  /** Clock for Retry-After dates. */
  now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_PER_ENDPOINT = 4;
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
const MAX_BODY_READ = 4096;
const MAX_ERROR_TEXT = 1024;
const USER_AGENT = 'Lifeline-Webhooks/1';
const SECRET_PREFIX = 'whsec_';

/** A new `whsec_<base64>` secret (the spec wants at least 24 random bytes). */
export function generateWebhookSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 24 || bytes > 64) throw new RangeError('secret size must be 24..64 bytes');
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  // Buffer.from(base64) silently skips bad characters; a mangled secret must fail loudly instead.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new Error('webhook secret is not whsec_<base64>');
  return Buffer.from(encoded, 'base64');
}

/** `v1,<base64 HMAC-SHA256>` over `${id}.${timestamp}.${body}` (Standard Webhooks). */
export function signWebhook(input: { secret: string; messageId: string; timestamp: Date | number; body: string }): string {
  const seconds = typeof input.timestamp === 'number' ? input.timestamp : Math.floor(input.timestamp.getTime() / 1000);
  const mac = createHmac('sha256', secretKey(input.secret)).update(`${input.messageId}.${seconds}.${input.body}`).digest('base64');
  return `v1,${mac}`;
}

/** Retry-After as milliseconds (delta-seconds or HTTP date), capped at one day. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  let ms: number;
  if (/^\s*\d+\s*$/.test(text)) {
    ms = Number(text.trim()) * 1000;
  } else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    ms = Math.max(0, date - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** A counting semaphore per origin; entries are dropped when idle so the map stays small. */
class OriginLimiter {
  readonly limit: number;
  readonly slots = new Map<string, { active: number; waiting: Array<() => void> }>();

  constructor(limit: number) {
    this.limit = limit;
  }

  async acquire(origin: string): Promise<() => void> {
    let slot = this.slots.get(origin);
    if (!slot) {
      slot = { active: 0, waiting: [] };
      this.slots.set(origin, slot);
    }
    if (slot.active < this.limit) {
      slot.active++;
    } else {
      // The releaser hands its slot straight to us, so `active` stays counted.
      await new Promise<void>((resolve) => slot.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slot.waiting.shift();
      if (next) {
        next();
      } else if (--slot.active === 0) {
        this.slots.delete(origin);
      }
    };
  }
}

export function failure(permanent: boolean, error: string, extra: { retryAfterMs?: number; disable?: boolean } = {}): SendOutcome {
  const outcome: SendOutcome = { ok: false, permanent, error };
  if (extra.retryAfterMs !== undefined) outcome.retryAfterMs = extra.retryAfterMs;
  if (extra.disable) outcome.disable = true;
  return outcome;
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: unknown[] };
  if (typeof e?.code === 'string') return e.code;
  // net's happy-eyeballs connect reports one AggregateError for all attempted addresses.
  if (Array.isArray(e?.errors) && e.errors.length > 0) return errorCode(e.errors[0]);
  return undefined;
}

export function describeError(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `connection closed by receiver (${code})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name cannot be resolved (${code})`;
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timed out connecting (UND_ERR_CONNECT_TIMEOUT)';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `timed out waiting for the response (${code})`;
    default:
      return code ? `${code}: ${message}` : message || 'request failed';
  }
}

/**
 * Reads at most MAX_BODY_READ bytes as text; stopping early destroys the stream (and its socket).
 * A body that breaks or stalls keeps what arrived: the status code already decided the outcome.
 */
export async function readBounded(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(Buffer.from(chunk));
      size += chunk.byteLength;
      if (size >= MAX_BODY_READ) break;
    }
  } catch {
    // keep the partial text
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_READ).toString('utf8');
}

export function errorText(status: number, body: string, note?: string): string {
  const snippet = body.replace(/\s+/g, ' ').trim().slice(0, MAX_ERROR_TEXT);
  return [`HTTP ${status}`, note, snippet].filter(Boolean).join(': ');
}

export function createWebhookChannel(options: WebhookChannelOptions): WebhookChannel {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxPerEndpoint = options.maxPerEndpoint ?? DEFAULT_MAX_PER_ENDPOINT;
  const now = options.now ?? Date.now;
  const limiter = new OriginLimiter(maxPerEndpoint);

  const lookup = !options.allowPrivate ? guardedLookup({ lookup: options.lookup }) : options.lookup ? plainLookup(options.lookup) : undefined;

  // Dedicated Agent: user-supplied URLs never share sockets or policy with internal HTTP clients.
  const agent = new Agent({
    connections: options.connections ?? maxPerEndpoint,
    pipelining: 1,
    allowH2: false,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: {
      timeout: Math.min(timeoutMs, 10_000),
      keepAlive: true,
      ...(lookup ? { lookup } : {}),
    },
  });

  async function attempt(url: URL, request: WebhookRequest, signature: string): Promise<SendOutcome> {
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
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': request.messageId,
          'webhook-timestamp': String(Math.floor(request.timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: request.body,
        signal: controller.signal,
      });
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        // The 2xx already counts; a broken or stalled body after it does not undo the delivery.
        await response.body.dump({ limit: MAX_BODY_READ }).catch(() => {});
        return { ok: true, detail: `HTTP ${status}` };
      }
      const text = await readBounded(response.body);
      if (status >= 300 && status < 400) {
        const location = response.headers.location;
        return failure(true, errorText(status, '', `redirects are not followed${location ? ` (location: ${location})` : ''}`));
      }
      if (status === 410) return failure(true, errorText(status, text, 'endpoint gone, disabling'), { disable: true });
      const retryable = status === 408 || status === 429 || status >= 500;
      if (!retryable) return failure(true, errorText(status, text));
      return failure(false, errorText(status, text), { retryAfterMs: parseRetryAfter(response.headers['retry-after'], now()) });
    } catch (err) {
      const blocked = findBlockedAddressError(err);
      if (blocked) return failure(true, `blocked: ${blocked.reason}`);
      if (timedOut) return failure(false, `timed out after ${timeoutMs} ms`);
      return failure(false, describeError(err));
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async send(request: WebhookRequest): Promise<SendOutcome> {
      // Re-checked at send time: IP-literal hosts never reach the lookup, so they (and names) are judged here.
      const check = checkWebhookUrlSyntax(request.url, { allowPrivate: options.allowPrivate });
      if (!check.ok) return failure(true, `blocked: ${check.reason}`);
      const url = check.url!;
      if (request.messageId.includes('.') || /\s/.test(request.messageId)) {
        return failure(true, 'webhook-id must not contain "." or whitespace');
      }
      let signature: string;
      try {
        signature = signWebhook(request);
      } catch (err) {
        return failure(true, (err as Error).message);
      }
      const release = await limiter.acquire(url.origin);
      try {
        return await attempt(url, request, signature);
      } finally {
        release();
      }
    },
    async close(): Promise<void> {
      await agent.close();
    },
  };
}
