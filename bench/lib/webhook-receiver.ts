import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One request the receiver got: `at` is when its body had fully arrived (wall-clock ms). */
interface ReceivedWebhook {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** `event_type` of a JSON body, if it has one. */
  eventType: string | null;
}

export interface WebhookReceiver {
  /** http://host:port */
  base: string;
  port: number;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

const wall = () => performance.timeOrigin + performance.now();

/** A loopback HTTP receiver that answers every request 204 and records it (bodies up to 1 MiB). */
export async function startWebhookReceiver(host = '127.0.0.1'): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 1024 * 1024) chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let eventType: string | null = null;
      try {
        const parsed = JSON.parse(body) as { event_type?: unknown };
        if (typeof parsed.event_type === 'string') eventType = parsed.event_type;
      } catch {
        // not JSON: recorded as is
      }
      received.push({ at: wall(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, eventType });
      res.writeHead(204).end();
    });
    req.on('error', () => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://${host}:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
