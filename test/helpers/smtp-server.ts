import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import PostalMime from 'postal-mime';
import type { Email } from 'postal-mime';
import { SMTPServer } from 'smtp-server';

/** One message the server accepted. */
export interface ReceivedMessage {
  /** The message exactly as received (CRLF line ends). */
  raw: string;
  parsed: Email;
  envelope: { mailFrom: string; rcptTo: string[] };
}

/** Refuse recipients matching `match` with `code` (550 for a hard bounce, 451 for a deferral). */
export interface RecipientRule {
  match: RegExp;
  code: number;
  message?: string;
}

/**
 * `accept`: normal service. `{ refuse: 421 }`: greet new connections with 421 and close them, and
 * answer 421 to MAIL FROM on connections already open. `{ refuse: 451 }` (or any 4xx/5xx): answer
 * MAIL FROM with that code.
 */
export type SmtpMode = 'accept' | { refuse: number; message?: string };

export interface TestSmtpServer {
  url: string;
  port: number;
  messages: ReceivedMessage[];
  /** Connections opened so far, refused ones included. */
  readonly connections: number;
  /** Resolves once `count` messages in all have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  setMode(mode: SmtpMode): void;
  setRecipientRules(rules: RecipientRule[]): void;
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

/** A real SMTP server on 127.0.0.1 and a free port, in the test process, no TLS. */
export async function startSmtpServer(options: { recipientRules?: RecipientRule[]; mode?: SmtpMode } = {}): Promise<TestSmtpServer> {
  let mode: SmtpMode = options.mode ?? 'accept';
  let rules: RecipientRule[] = options.recipientRules ?? [];
  let connections = 0;
  const messages: ReceivedMessage[] = [];
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    // Bounded wait for clients still connected when the test closes the server.
    closeTimeout: 1000,
    onConnect(_session, callback) {
      connections += 1;
      if (mode !== 'accept' && mode.refuse === 421) {
        return callback(smtpError(421, mode.message ?? 'Service not available, try again later'));
      }
      callback();
    },
    onMailFrom(_address, _session, callback) {
      if (mode !== 'accept') return callback(smtpError(mode.refuse, mode.message ?? 'Temporary failure, try again later'));
      callback();
    },
    onRcptTo(address, _session, callback) {
      const rule = rules.find((r) => r.match.test(address.address));
      if (rule) return callback(smtpError(rule.code, rule.message ?? (rule.code >= 500 ? 'User unknown' : 'Try again later')));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const envelope = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
        };
        PostalMime.parse(raw).then(
          (parsed) => {
            messages.push({ raw, parsed, envelope });
            for (const wake of waiters) wake();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client killed mid-connection (crash tests) must not fail the test run with ECONNRESET.
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    get connections() {
      return connections;
    },
    waitFor(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(messages.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} messages on port ${port} within ${timeoutMs} ms, got ${messages.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    setMode(next) {
      mode = next;
    },
    setRecipientRules(next) {
      rules = next;
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening on it (connections are refused). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
