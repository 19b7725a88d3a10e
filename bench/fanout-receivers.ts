// The receiving side of bench/fanout.ts, in its own process: a minimal SMTP sink that accepts
// everything and an HTTP receiver that answers 204, both on 127.0.0.1 and free ports. They record
// when each email is accepted (the 250 after DATA) and each webhook arrives, count duplicates, and
// check every webhook signature; chat messages (/chat/<platform>/<n>) are counted apart. The
// parent talks to this process over IPC only.
// Settings (environment): FANOUT_SECRET_SALT (webhook secrets are derived from it, see secretFor),
// FANOUT_WEBHOOK_ORIGINS (how many ports the HTTP receiver listens on: one origin each; default 1).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const HOST = '127.0.0.1';
const SALT = process.env.FANOUT_SECRET_SALT ?? '';
const ORIGINS = Math.max(1, Number(process.env.FANOUT_WEBHOOK_ORIGINS ?? '1') || 1);
const now = () => performance.timeOrigin + performance.now();

/** Wall-clock milliseconds, growable without boxing 100,000 numbers. */
class Times {
  data = new Float64Array(1024);
  length = 0;
  push(value: number) {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  toArray(): number[] {
    return Array.from(this.data.subarray(0, this.length));
  }
}

/** The key of webhook subscriber `i`, the same derivation as the seeding SQL in fanout.ts. */
function secretFor(salt: string, i: number): Buffer {
  return createHash('sha256').update(`${salt}:${i}`).digest();
}

// ---- SMTP sink -----------------------------------------------------------------------------

const mail = {
  times: new Times(),
  recipients: new Set<string>(),
  duplicates: 0,
  bytes: 0,
  connections: 0,
  sample: null as string | null,
};

const TERMINATOR = Buffer.from('\r\n.\r\n');
const CRLF = Buffer.from('\r\n');
const EHLO_REPLY = '250-sink.fanout.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n';

/**
 * One SMTP session. Commands are answered in order (which is all PIPELINING needs); after DATA,
 * bytes are skipped until CRLF.CRLF, carrying the last 4 bytes across chunks.
 */
function smtpSession(socket: Socket): void {
  mail.connections++;
  socket.setNoDelay(true);
  let mode: 'command' | 'data' = 'command';
  let pending: Buffer = Buffer.alloc(0);
  let tail: Buffer = Buffer.alloc(0);
  let size = 0;
  let rcpt: string[] = [];
  let keepSample = false;
  let sampleChunks: Buffer[] = [];

  const command = (line: string) => {
    const verb = line.slice(0, 4).toUpperCase();
    switch (verb) {
      case 'EHLO':
        return socket.write(EHLO_REPLY);
      case 'HELO':
        return socket.write('250 sink.fanout.test\r\n');
      case 'MAIL':
        rcpt = [];
        return socket.write('250 2.1.0 Ok\r\n');
      case 'RCPT': {
        const match = /<([^>]*)>/.exec(line);
        rcpt.push((match ? match[1] : line.slice(8)).toLowerCase());
        return socket.write('250 2.1.5 Ok\r\n');
      }
      case 'DATA':
        mode = 'data';
        tail = CRLF; // the DATA line's own CRLF: an empty message ends at once with ".\r\n"
        size = 0;
        keepSample = mail.sample === null;
        sampleChunks = [];
        return socket.write('354 End data with <CR><LF>.<CR><LF>\r\n');
      case 'QUIT':
        socket.end('221 2.0.0 Bye\r\n');
        return;
      default:
        // RSET, NOOP and anything else: accept everything.
        return socket.write('250 2.0.0 Ok\r\n');
    }
  };

  const onData = (chunk: Buffer): void => {
    if (mode === 'data') {
      const search = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
      const end = search.indexOf(TERMINATOR);
      if (end < 0) {
        size += chunk.length;
        if (keepSample) sampleChunks.push(Buffer.from(chunk));
        tail = Buffer.from(search.subarray(Math.max(0, search.length - 4)));
        return;
      }
      const bodyEnd = end - tail.length + 2; // bytes of `chunk` up to and including the CRLF before the dot
      size += Math.max(0, bodyEnd);
      if (keepSample) {
        sampleChunks.push(Buffer.from(chunk.subarray(0, Math.max(0, bodyEnd))));
        mail.sample = Buffer.concat(sampleChunks).toString('utf8');
        sampleChunks = [];
      }
      mail.times.push(now());
      mail.bytes += size;
      for (const r of rcpt) {
        if (mail.recipients.has(r)) mail.duplicates++;
        else mail.recipients.add(r);
      }
      socket.write(`250 2.0.0 Ok: queued as ${mail.times.length}\r\n`);
      mode = 'command';
      tail = Buffer.alloc(0);
      const rest = search.subarray(end + TERMINATOR.length);
      if (rest.length > 0) onData(Buffer.from(rest));
      return;
    }
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      const nl = pending.indexOf(CRLF);
      if (nl < 0) break;
      const line = pending.toString('latin1', 0, nl);
      pending = pending.subarray(nl + 2);
      command(line);
      if ((mode as 'command' | 'data') === 'data') {
        const rest = pending;
        pending = Buffer.alloc(0);
        if (rest.length > 0) onData(Buffer.from(rest));
        return;
      }
    }
    if (pending.length > 64 * 1024) socket.destroy(); // not SMTP
  };

  socket.on('data', onData);
  socket.on('error', () => {});
  socket.write('220 sink.fanout.test ESMTP fanout bench sink\r\n');
}

// ---- HTTP receiver -------------------------------------------------------------------------

const hooks = {
  times: new Times(),
  ids: new Set<string>(),
  duplicates: 0,
  badSignatures: 0,
  badPaths: 0,
  bytes: 0,
  firstBody: null as string | null,
};

function verify(path: string, headers: Record<string, string | string[] | undefined>, body: Buffer): boolean | null {
  const match = /^\/hook\/(\d+)$/.exec(path);
  if (!match) return null;
  const id = String(headers['webhook-id'] ?? '');
  const timestamp = String(headers['webhook-timestamp'] ?? '');
  const signatures = String(headers['webhook-signature'] ?? '').split(' ');
  const expected = Buffer.from(
    createHmac('sha256', secretFor(SALT, Number(match[1])))
      .update(`${id}.${timestamp}.`)
      .update(body)
      .digest('base64'),
  );
  return signatures.some((s) => {
    const given = Buffer.from(s.startsWith('v1,') ? s.slice(3) : '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

// Chat channels (Slack, Discord, Teams incoming webhooks) post to /chat/<platform>/<n>: counted per
// URL (a second message to one URL is a duplicate) and answered as each platform does.
const chats = {
  times: new Times(),
  paths: new Set<string>(),
  duplicates: 0,
  bytes: 0,
  byPlatform: { slack: 0, discord: 0, teams: 0 } as Record<string, number>,
  badPaths: 0,
};

function onChat(req: IncomingMessage, res: ServerResponse, body: Buffer, platform: string) {
  chats.times.push(now());
  chats.bytes += body.length;
  const path = (req.url ?? '').split('?')[0];
  if (chats.paths.has(path)) chats.duplicates++;
  else chats.paths.add(path);
  chats.byPlatform[platform] = (chats.byPlatform[platform] ?? 0) + 1;
  if (platform === 'slack') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  else if (platform === 'discord') res.writeHead(200, { 'content-type': 'application/json' }).end(`{"id":"${1_000_000_000 + chats.times.length}"}`);
  else res.writeHead(202).end();
}

const onRequest = (req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const chat = /^\/chat\/(slack|discord|teams)\/\d+(\?|$)/.exec(req.url ?? '');
    if (chat) return onChat(req, res, Buffer.concat(chunks), chat[1]);
    hooks.times.push(now());
    const body = Buffer.concat(chunks);
    hooks.bytes += body.length;
    hooks.firstBody ??= body.toString('utf8');
    const ok = verify(req.url ?? '', req.headers, body);
    if (ok === null) hooks.badPaths++;
    else if (!ok) hooks.badSignatures++;
    const id = String(req.headers['webhook-id'] ?? '');
    if (hooks.ids.has(id)) hooks.duplicates++;
    else hooks.ids.add(id);
    res.writeHead(204);
    res.end();
  });
};
const https = Array.from({ length: ORIGINS }, () => createHttpServer({ keepAliveTimeout: 60_000 }, onRequest));

// ---- IPC -----------------------------------------------------------------------------------

function stats() {
  return {
    emails: mail.times.length,
    emailFirst: mail.times.length > 0 ? mail.times.data[0] : null,
    emailLast: mail.times.length > 0 ? mail.times.data[mail.times.length - 1] : null,
    uniqueRecipients: mail.recipients.size,
    emailDuplicates: mail.duplicates,
    emailBytes: mail.bytes,
    smtpConnections: mail.connections,
    webhooks: hooks.times.length,
    webhookFirst: hooks.times.length > 0 ? hooks.times.data[0] : null,
    webhookLast: hooks.times.length > 0 ? hooks.times.data[hooks.times.length - 1] : null,
    uniqueWebhookIds: hooks.ids.size,
    webhookDuplicates: hooks.duplicates,
    badSignatures: hooks.badSignatures,
    badPaths: hooks.badPaths,
    webhookBytes: hooks.bytes,
    chats: chats.times.length,
    chatFirst: chats.times.length > 0 ? chats.times.data[0] : null,
    chatLast: chats.times.length > 0 ? chats.times.data[chats.times.length - 1] : null,
    chatDuplicates: chats.duplicates,
    chatBytes: chats.bytes,
    chatsByPlatform: { ...chats.byPlatform },
  };
}
export type ReceiverStats = ReturnType<typeof stats>;

const smtp = createNetServer(smtpSession);
await new Promise<void>((resolve) => smtp.listen(0, HOST, resolve));
for (const http of https) await new Promise<void>((resolve) => http.listen(0, HOST, resolve));

process.on('message', (message: { id: number; type: string }) => {
  let reply: unknown;
  if (message.type === 'stats') reply = stats();
  else if (message.type === 'times') reply = { emails: mail.times.toArray(), webhooks: hooks.times.toArray() };
  else if (message.type === 'samples') reply = { email: mail.sample, webhook: hooks.firstBody };
  process.send?.({ id: message.id, reply });
});
// The parent going away (even by SIGKILL) closes the IPC channel: leave with it.
process.on('disconnect', () => process.exit(0));
process.send?.({ id: 0, reply: { smtpPort: (smtp.address() as AddressInfo).port, httpPorts: https.map((http) => (http.address() as AddressInfo).port) } });
