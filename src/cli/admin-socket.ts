import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { OPERATOR_HEADER } from '../plugins/auth.ts';

export function adminSocketPath(dataDir: string): string {
  return join(dataDir, 'lifeline.sock');
}

/** True when a Lifeline process answers on the data directory's admin socket. */
export function isSocketLive(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Serves the responder API on a Unix socket in the data directory, for the CLI. Embedded PGlite
 * allows one process per data directory, so while the server runs the CLI talks to it here.
 * Whoever can open the socket (file mode 0600: the same OS user) acts as the local operator.
 */
export async function startAdminSocket(app: FastifyInstance): Promise<() => Promise<void>> {
  const path = adminSocketPath(app.config.dataDir);
  if (await isSocketLive(path)) throw new Error(`another Lifeline process is already running with LIFELINE_DATA_DIR=${app.config.dataDir}`);
  if (existsSync(path)) unlinkSync(path);
  await app.ready();
  const server = createServer((request, response) => {
    request.headers[OPERATOR_HEADER] = app.operatorSecret;
    app.routing(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      if (existsSync(path)) unlinkSync(path);
    });
}
