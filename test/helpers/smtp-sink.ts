import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** What the sink keeps of one accepted message: enough to count and compare, cheap for thousands. */
export interface SinkMessage {
  to: string;
  subject: string;
  messageId: string;
}

export interface SmtpSink {
  url: string;
  messages: SinkMessage[];
  /** Resolves once `count` messages in all have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** The value of one header in a raw message head (unfolded; encoded words are left as they are). */
function header(head: string, name: string): string {
  const match = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r\\n[ \\t].*)*)`, 'im').exec(head);
  return match ? match[1].replace(/\r\n[ \t]+/g, ' ').trim() : '';
}

/**
 * A real SMTP server on 127.0.0.1 that accepts everything and keeps recipient, Subject and
 * Message-ID only (test/helpers/smtp-server.ts parses every message in full). Made for clients
 * that get killed: a connection reset is expected, not an error of the test process.
 */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    closeTimeout: 1000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const end = raw.indexOf('\r\n\r\n');
        const head = end === -1 ? raw : raw.slice(0, end);
        messages.push({ to: session.envelope.rcptTo[0]?.address.toLowerCase() ?? '', subject: header(head, 'Subject'), messageId: header(head, 'Message-ID') });
        for (const wake of waiters) wake();
        callback();
      });
    },
  });
  // A client killed mid-session resets its connection; smtp-server re-emits that here.
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(count, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} messages on port ${port} within ${timeoutMs} ms, got ${messages.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
