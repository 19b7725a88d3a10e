import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { runToCompletion } from './processes.ts';

/** Setup steps shared by benches that start Lifeline on a scratch PostgreSQL database. */

/** A free TCP port on `host` (closed again before it is returned, so there is a small race). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ScratchDatabase {
  name: string;
  /** postgres://…/name */
  url: string;
  /** The server's version, e.g. "15.8". */
  version: string;
  /** DROP DATABASE … WITH (FORCE); never throws, returns the error message if it failed. */
  drop(): Promise<string | null>;
}

/**
 * Creates `<prefix>_<pid>_<random>` on the server of `baseUrl` (postgres://user@host:port, any
 * database path is ignored; the admin connection goes to the `postgres` database).
 */
export async function createScratchDatabase(baseUrl: string, prefix: string): Promise<ScratchDatabase> {
  const admin = new URL(baseUrl);
  admin.pathname = '/postgres';
  const adminUrl = admin.toString();
  const name = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  let version: string;
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    version,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
      try {
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
        return null;
      } catch (error) {
        return (error as Error).message;
      } finally {
        await c.end().catch(() => {});
      }
    },
  };
}

/** `lifeline token create` (which also applies the migrations); returns the token, the CLI's last line. */
export async function createToken(node: string, nodeFlags: string[], env: NodeJS.ProcessEnv, scope = 'admin', name = 'bench'): Promise<string> {
  const result = await runToCompletion('lifeline token create', node, [...nodeFlags, 'bin/lifeline.mjs', 'token', 'create', '--name', name, '--scope', scope], {
    env,
    timeoutMs: 60_000,
  });
  const token = result.stdout.trim().split('\n').pop()?.trim() ?? '';
  if (result.code !== 0 || !/^\S{16,}$/.test(token))
    throw new Error(`token create failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
  return token;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
