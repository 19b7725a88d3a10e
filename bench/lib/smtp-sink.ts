import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SMTPServer } from 'smtp-server';

/** One message the sink accepted: `at` is when it answered 250 to the end of DATA (wall-clock ms). */
interface SinkMessage {
  at: number;
  /** When the first RCPT TO of this transaction was accepted (wall-clock ms). */
  rcptAt: number | null;
  mailFrom: string;
  rcptTo: string[];
  subject: string;
  bytes: number;
}

export interface SmtpSink {
  url: string;
  port: number;
  messages: SinkMessage[];
  /** The first accepted message with `address` among its recipients (case-insensitive), if any. */
  firstTo(address: string): SinkMessage | null;
  close(): Promise<void>;
}

const wall = () => performance.timeOrigin + performance.now();

/**
 * An in-process SMTP server (the `smtp-server` package) on 127.0.0.1 and a free port, no TLS, no
 * auth, that accepts every message and records when. Only the Subject header is read from the
 * body; the rest is counted and dropped.
 */
export async function startSmtpSink(host = '127.0.0.1'): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    closeTimeout: 1_000,
    onRcptTo(_address, session, callback) {
      const s = session as typeof session & { benchRcptAt?: number };
      s.benchRcptAt ??= wall();
      callback();
    },
    onData(stream, session, callback) {
      let head = '';
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (head.length < 16_384) head += chunk.toString('utf8');
      });
      stream.on('error', callback);
      stream.on('end', () => {
        const s = session as typeof session & { benchRcptAt?: number };
        const headers = head.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
        messages.push({
          at: wall(),
          rcptAt: s.benchRcptAt ?? null,
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          subject: /^subject:\s*(.*)$/im.exec(headers)?.[1]?.trim() ?? '',
          bytes,
        });
        s.benchRcptAt = undefined;
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => {}); // a client dropping its connection is not the bench's failure
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://${host}:${port}`,
    port,
    messages,
    firstTo(address) {
      const wanted = address.toLowerCase();
      return messages.find((m) => m.rcptTo.some((r) => r.toLowerCase() === wanted)) ?? null;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
