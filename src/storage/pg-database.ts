import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Database, QueryOptions, Row, Transaction } from './database.ts';
import { DatabaseUnavailableError, QueryError } from './database.ts';

pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P03', '08006', '08001', '08003']);

/** The error callers see: unavailability, or the server's refusal without its `detail` (parameter values). */
function translate(error: unknown, sql?: string): unknown {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : '';
  if (
    (code && CONNECTION_ERRORS.has(code)) ||
    /Connection terminated|timeout exceeded when trying to connect|does not allow connections|not currently accepting connections|terminating connection/i.test(
      message,
    )
  ) {
    return new DatabaseUnavailableError(error);
  }
  if (error instanceof pg.DatabaseError) return new QueryError(error, sql);
  return error;
}

// Names of the prepared statements by SQL text: a handful of fixed statements, hashed once each.
const statementNames = new Map<string, string>();

/** The statement as pg takes it: named (so each connection prepares it once) when asked to prepare. */
function statement(sql: string, params: unknown[], options: QueryOptions | undefined): pg.QueryConfig {
  if (!options?.prepare) return { text: sql, values: params };
  let name = statementNames.get(sql);
  if (!name) {
    name = `lifeline_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    statementNames.set(sql, name);
  }
  return { name, text: sql, values: params };
}

/** A PostgreSQL server (Cloud SQL in production), shared by several instances. */
export async function openPostgresDatabase(connectionString: string, options: { poolSize?: number } = {}): Promise<Database> {
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // No connection is made here: an instance may start during a database outage and serve its saved snapshot.
  return new PostgresDatabase(pool, connectionString);
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly connectionString: string;
  private readonly listeners = new Set<pg.Client>();

  constructor(pool: pg.Pool, connectionString: string) {
    this.pool = pool;
    this.connectionString = connectionString;
  }

  async query<T extends Row = Row>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<T[]> {
    try {
      const result = await this.pool.query(statement(sql, params, options));
      return result.rows as T[];
    } catch (error) {
      throw translate(error, sql);
    }
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translate(error);
    }
    // A connection lost while checked out (between two statements) is reported by the next
    // statement; without a listener the client's 'error' event would crash the process.
    const ignoreLostConnection = () => {};
    client.on('error', ignoreLostConnection);
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R extends Row>(sql: string, params: unknown[] = [], options?: QueryOptions) => {
          try {
            return (await client.query(statement(sql, params, options))).rows as R[];
          } catch (error) {
            throw translate(error, sql);
          }
        },
        exec: async (sql: string) => {
          await client.query(sql).catch((error: unknown) => {
            throw translate(error, sql);
          });
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw translate(error);
    } finally {
      client.off('error', ignoreLostConnection);
      client.release();
    }
  }

  /** A dedicated connection per LISTEN; if it drops, the caller's periodic check covers the gap. */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('error', () => {});
    client.on('notification', (message) => {
      if (message.channel === channel) onNotify(message.payload ?? '');
    });
    await client.connect();
    await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    this.listeners.add(client);
    return async () => {
      this.listeners.delete(client);
      await client.end().catch(() => {});
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners].map((client) => client.end().catch(() => {})));
    this.listeners.clear();
    await this.pool.end();
  }
}
