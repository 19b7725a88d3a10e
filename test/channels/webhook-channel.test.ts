import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookChannel } from '../../src/channels/channel.ts';
import { checkWebhookUrl } from '../../src/channels/ssrf-guard.ts';
import { createWebhookChannel, generateWebhookSecret, parseRetryAfter, signWebhook } from '../../src/channels/webhook-channel.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real HTTP receiver on loopback that records what reached it. */
class Receiver {
  readonly server: Server;
  readonly received: Received[] = [];
  connections = 0;
  inFlight = 0;
  maxInFlight = 0;
  handler: Handler;
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  constructor(handler: Handler) {
    this.handler = handler;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        // Count the request as finished just before its response goes out.
        const end = res.end.bind(res);
        res.end = ((...args: Parameters<typeof res.end>) => {
          this.inFlight--;
          return end(...args);
        }) as typeof res.end;
        this.notify();
        this.handler(req, res, body);
      });
    });
    this.server.on('connection', () => this.connections++);
  }

  async listen(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Resolves once `n` requests have arrived in total. */
  waitForRequests(n: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ n, resolve });
      this.notify();
    });
  }

  private notify(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.received.length >= w.n) w.resolve();
      return this.received.length < w.n;
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

/** A bare TCP listener: counts connections, so a test can prove none was made. */
async function tcpListener(): Promise<{ server: TcpServer; port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function receiver(handler: Handler): Promise<Receiver> {
  const r = await new Receiver(handler).listen();
  cleanup.push(() => r.close());
  return r;
}

function channel(options: Parameters<typeof createWebhookChannel>[0]): WebhookChannel {
  const c = createWebhookChannel(options);
  cleanup.push(() => c.close());
  return c;
}

const secret = generateWebhookSecret();
let sequence = 0;
function request(url: string, body = '{"event_type":"incident.updated","incident":{"id":"inc_1"}}') {
  return { url, secret, messageId: `msg_${++sequence}`, timestamp: new Date(), body };
}

const status =
  (code: number, headers: Record<string, string> = {}, body = ''): Handler =>
  (_req, res) => {
    res.writeHead(code, headers);
    res.end(body);
  };

describe('webhook channel: delivery and outcome mapping', () => {
  it('sends a signed POST that the Standard Webhooks reference verifier accepts', async () => {
    const verified: unknown[] = [];
    const r = await receiver((req, res, body) => {
      try {
        verified.push(new Webhook(secret).verify(body, req.headers as Record<string, string>));
        res.writeHead(204).end();
      } catch (err) {
        res.writeHead(401).end(String(err));
      }
    });
    const c = channel({ allowPrivate: true });
    const req = request(r.url('/hook?tenant=1'));

    const outcome = await c.send(req);

    expect(outcome).toEqual({ ok: true, detail: 'HTTP 204' });
    expect(verified).toEqual([JSON.parse(req.body)]);
    const [got] = r.received;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hook?tenant=1');
    expect(got.body).toBe(req.body);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe('Lifeline-Webhooks/1');
    expect(got.headers['webhook-id']).toBe(req.messageId);
    expect(got.headers['webhook-timestamp']).toBe(String(Math.floor(req.timestamp.getTime() / 1000)));
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('signs exactly like the reference library', () => {
    const at = new Date('2025-01-02T03:04:05Z');
    const mine = signWebhook({ secret, messageId: 'msg_x', timestamp: at, body: '{"a":1}' });
    expect(mine).toBe(new Webhook(secret).sign('msg_x', at, '{"a":1}'));
    expect(generateWebhookSecret()).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(generateWebhookSecret()).not.toBe(generateWebhookSecret());
  });

  it('maps 500 to a retryable failure carrying the start of the body', async () => {
    const r = await receiver(status(500, { 'content-type': 'text/plain' }, 'database on fire\n' + 'x'.repeat(100_000)));
    const outcome = await channel({ allowPrivate: true }).send(request(r.url()));
    expect(outcome).toMatchObject({ ok: false, permanent: false });
    expect(!outcome.ok && outcome.error).toMatch(/^HTTP 500: database on fire x+$/);
    expect(!outcome.ok && outcome.error.length).toBeLessThan(1100);
  });

  it('maps 410 to a permanent failure that disables the endpoint', async () => {
    const r = await receiver(status(410, {}, 'gone'));
    const outcome = await channel({ allowPrivate: true }).send(request(r.url()));
    expect(outcome).toMatchObject({ ok: false, permanent: true, disable: true });
  });

  it('maps 429 with Retry-After seconds to a retryable failure with retryAfterMs', async () => {
    const r = await receiver(status(429, { 'retry-after': '120' }));
    const outcome = await channel({ allowPrivate: true }).send(request(r.url()));
    expect(outcome).toMatchObject({ ok: false, permanent: false, retryAfterMs: 120_000 });
  });

  it('maps 503 with an HTTP-date Retry-After, measured against the injected clock', async () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    const r = await receiver(status(503, { 'retry-after': 'Sun, 01 Jun 2025 12:05:00 GMT' }));
    const outcome = await channel({ allowPrivate: true, now: () => now }).send(request(r.url()));
    expect(outcome).toMatchObject({ ok: false, permanent: false, retryAfterMs: 300_000 });
  });

  it.each([
    [408, false],
    [502, false],
    [504, false],
    [400, true],
    [401, true],
    [404, true],
    [413, true],
  ])('maps %i to permanent=%s', async (code, permanent) => {
    const r = await receiver(status(code));
    const outcome = await channel({ allowPrivate: true }).send(request(r.url()));
    expect(outcome).toMatchObject({ ok: false, permanent });
    expect(!outcome.ok && outcome.disable).toBeUndefined();
  });

  it('parses Retry-After and caps it at one day', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 30 ', now)).toBe(30_000);
    expect(parseRetryAfter('9999999', now)).toBe(86_400_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('Mon, 01 Jun 2026 12:00:00 GMT', now)).toBe(86_400_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('does not follow a 302 and reports it as a permanent failure', async () => {
    const r = await receiver((req, res) => {
      if (req.url === '/hook') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.writeHead(200).end();
    });
    const outcome = await channel({ allowPrivate: true }).send(request(r.url('/hook')));
    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(!outcome.ok && outcome.error).toMatch(/HTTP 302.*redirects are not followed.*\/elsewhere/);
    expect(r.received.map((x) => x.url)).toEqual(['/hook']);
  });

  it('times out a receiver that never answers, as a retryable failure', async () => {
    const r = await receiver(() => {
      /* never answers */
    });
    const started = performance.now();
    const outcome = await channel({ allowPrivate: true, timeoutMs: 300 }).send(request(r.url()));
    expect(outcome).toMatchObject({ ok: false, permanent: false });
    expect(!outcome.ok && outcome.error).toMatch(/timed out after 300 ms/);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(r.received).toHaveLength(1);
  });

  it('decides on the status line even when the body then stalls (bounded by the timeout)', async () => {
    const r = await receiver((req, res) => {
      res.writeHead(req.url === '/gone' ? 410 : 200, { 'content-type': 'text/plain' });
      res.write('partial'); // and never ends
    });
    const c = channel({ allowPrivate: true, timeoutMs: 300 });
    expect(await c.send(request(r.url('/gone')))).toMatchObject({ ok: false, permanent: true, disable: true });
    expect(await c.send(request(r.url('/ok')))).toEqual({ ok: true, detail: 'HTTP 200' });
  });

  it('reports a refused connection as retryable', async () => {
    const l = await tcpListener();
    const port = l.port;
    await l.close();
    const outcome = await channel({ allowPrivate: true }).send(request(`http://127.0.0.1:${port}/hook`));
    expect(outcome).toMatchObject({ ok: false, permanent: false });
    expect(!outcome.ok && outcome.error).toMatch(/ECONNREFUSED/);
  });

  it('refuses a malformed secret or a webhook-id with a dot, permanently and without sending', async () => {
    const r = await receiver(status(200));
    const c = channel({ allowPrivate: true });
    expect(await c.send({ ...request(r.url()), secret: 'whsec_not base64!' })).toMatchObject({ ok: false, permanent: true });
    expect(await c.send({ ...request(r.url()), messageId: 'msg.1' })).toMatchObject({ ok: false, permanent: true });
    expect(r.connections).toBe(0);
  });
});

describe('webhook channel: per-endpoint concurrency', () => {
  it('keeps at most maxPerEndpoint requests in flight per origin, and a slow origin does not stall another', async () => {
    const held: ServerResponse[] = [];
    let releaseAll = false;
    const slow = await receiver((_req, res) => {
      if (releaseAll) res.writeHead(200).end();
      else held.push(res);
    });
    const fast = await receiver(status(200));
    // More sockets than the limit, so the per-origin limit (not the pool size) is what is tested.
    const c = channel({ allowPrivate: true, maxPerEndpoint: 2, connections: 10 });

    const pending = Array.from({ length: 7 }, () => c.send(request(slow.url())));
    await slow.waitForRequests(2);

    // The slow origin is saturated; another origin still goes straight through.
    expect(await c.send(request(fast.url()))).toEqual({ ok: true, detail: 'HTTP 200' });
    expect(slow.received).toHaveLength(2);
    expect(slow.inFlight).toBe(2);

    releaseAll = true;
    for (const res of held.splice(0)) res.writeHead(200).end();
    const outcomes = await Promise.all(pending);

    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(slow.received).toHaveLength(7);
    expect(slow.maxInFlight).toBe(2);
  });
});

describe('webhook channel: SSRF guard', () => {
  it.each([
    'https://127.0.0.1:PORT/hook',
    'https://[::1]:PORT/hook',
    'https://[::ffff:127.0.0.1]:PORT/hook',
    'https://2130706433:PORT/hook',
    'https://0x7f.1:PORT/hook',
    'https://localhost:PORT/hook',
    'http://hooks.example.com:PORT/hook',
  ])('refuses %s permanently without connecting', async (template) => {
    const l = await tcpListener();
    cleanup.push(l.close);
    const resolver = async (): Promise<LookupAddress[]> => [{ address: '127.0.0.1', family: 4 }];
    const outcome = await channel({ allowPrivate: false, lookup: resolver }).send(request(template.replace('PORT', String(l.port))));
    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(!outcome.ok && outcome.error).toMatch(/^blocked: /);
    expect(l.connections()).toBe(0);
  });

  it('pins the connection to the checked address: DNS that rebinds to 127.0.0.1 after registration gets no connection', async () => {
    const l = await tcpListener();
    cleanup.push(l.close);
    // First answer (registration) is public; later answers (connect time) point at loopback.
    const answers: string[] = [];
    const rebinding = async (hostname: string): Promise<LookupAddress[]> => {
      answers.push(hostname);
      return answers.length === 1 ? [{ address: '93.184.215.14', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
    };
    const url = `https://hooks.rebind.example:${l.port}/hook`;

    expect(await checkWebhookUrl(url, { allowPrivate: false, lookup: rebinding })).toEqual({ ok: true });
    const outcome = await channel({ allowPrivate: false, lookup: rebinding }).send(request(url));

    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(!outcome.ok && outcome.error).toMatch(/blocked: hooks\.rebind\.example resolves to 127\.0\.0\.1 .*loopback/);
    expect(answers).toEqual(['hooks.rebind.example', 'hooks.rebind.example']);
    expect(l.connections()).toBe(0);
  });

  it('refuses when any answer is blocked, even if a public one comes first', async () => {
    const l = await tcpListener();
    cleanup.push(l.close);
    const both = async (): Promise<LookupAddress[]> => [
      { address: '93.184.215.14', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const url = `https://hooks.mixed.example:${l.port}/hook`;
    expect((await checkWebhookUrl(url, { allowPrivate: false, lookup: both })).ok).toBe(false);
    const outcome = await channel({ allowPrivate: false, lookup: both }).send(request(url));
    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(l.connections()).toBe(0);
  });

  it('control: with the guard off the same resolver does reach the loopback listener', async () => {
    const l = await tcpListener();
    cleanup.push(l.close);
    const loopback = async (): Promise<LookupAddress[]> => [{ address: '127.0.0.1', family: 4 }];
    // The listener speaks no TLS, so the request fails, but only after connecting.
    const outcome = await channel({ allowPrivate: true, lookup: loopback, timeoutMs: 500 }).send(request(`https://hooks.rebind.example:${l.port}/hook`));
    expect(outcome).toMatchObject({ ok: false, permanent: false });
    expect(l.connections()).toBe(1);
  });
});
