import { request as httpRequest } from 'node:http';
import { userInfo } from 'node:os';
import type { Config } from '../config.ts';
import { redactUrl } from '../redact.ts';
import { embeddedDatabaseDir } from '../data-dir.ts';
import { adminSocketPath, isSocketLive } from './admin-socket.ts';

export interface Response {
  status: number;
  body: unknown;
}

export interface Transport {
  request(method: string, path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
  /** Where the CLI reached the store, for the first line of output. */
  via: string;
  /** For stderr when the CLI works on a database itself: which one, and where no server answered. */
  notice: string | null;
}

function operatorUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}

/**
 * The CLI speaks the responder API: to the running server over its admin socket when there is one,
 * otherwise to an in-process app on the same LIFELINE_DATA_DIR / DATABASE_URL.
 */
export async function connect(config: Config): Promise<Transport> {
  const socketPath = adminSocketPath(config.dataDir);
  const user = operatorUser();
  if (await isSocketLive(socketPath)) {
    return {
      via: `the running server (${socketPath})`,
      notice: null,
      request: (method, path, body) =>
        new Promise((resolve, reject) => {
          const payload = body === undefined ? undefined : JSON.stringify(body);
          const req = httpRequest(
            { socketPath, method, path, headers: { 'x-lifeline-operator-user': user, ...(payload ? { 'content-type': 'application/json' } : {}) } },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
              });
            },
          );
          req.on('error', reject);
          req.end(payload);
        }),
      close: async () => {},
    };
  }
  // Loaded only here: talking to a running server should not pay for importing the whole app.
  const [{ buildApp }, { OPERATOR_HEADER }] = await Promise.all([import('../app.ts'), import('../plugins/auth.ts')]);
  const app = await buildApp({ config: { ...config, roles: ['web'] }, logger: false, apiOnly: true });
  await app.ready();
  const via = config.databaseUrl ? `the database at ${redactUrl(config.databaseUrl)}` : `the embedded database in ${embeddedDatabaseDir(config.dataDir)}`;
  return {
    via,
    // Said every time: a shell without the server's LIFELINE_DATA_DIR would otherwise work on a
    // second, empty database whose tokens the running server refuses.
    notice:
      `no running Lifeline server at ${socketPath}; using ${via} directly. If a server is running, ` +
      'run the CLI with its LIFELINE_DATA_DIR (and DATABASE_URL) to talk to it.',
    request: async (method, path, body) => {
      const response = await app.inject({
        method: method as 'GET',
        url: path,
        headers: { [OPERATOR_HEADER]: app.operatorSecret, 'x-lifeline-operator-user': user },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
    },
    close: () => app.close(),
  };
}

/**
 * Another Lifeline over HTTP(S), with an API token: how the CLI reaches a deployment whose database
 * it cannot (Cloud Run with Cloud SQL). Plain http only to this machine: the token is in every request.
 */
export function connectRemote(baseUrl: string, token: string): Transport {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`--lifeline-url: not a URL: ${JSON.stringify(baseUrl)}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new Error('--lifeline-url: must be https:// (the token is sent with every request)');
  const base = url.href.replace(/\/+$/, '');
  return {
    via: base,
    notice: null,
    request: async (method, path, body) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(120_000),
      });
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = { message: `not a Lifeline answer (HTTP ${response.status})` };
      }
      return { status: response.status, body: parsed };
    },
    close: async () => {},
  };
}
