import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { messages, PGlite, types } from '@electric-sql/pglite';
import { makeTreePrivate, PRIVATE_DIR_MODE } from '../data-dir.ts';
import { QueryError, type Database, type Row, type Transaction } from './database.ts';

const parsers = { [types.INT8]: (value: string) => Number(value) };

/**
 * PGlite attaches the statement's `params` (and `query`) to every error it throws; parameters hold
 * token hashes and webhook secrets, so they never leave this adapter.
 */
function translate(error: unknown, sql: string): unknown {
  if (error instanceof messages.DatabaseError) return new QueryError(error, sql);
  // Any other error PGlite marked the same way (e.g. a parameter it could not serialise): unmark it.
  if (error && typeof error === 'object' && 'params' in error && 'query' in error) {
    for (const field of ['params', 'query', 'queryOptions']) delete (error as Record<string, unknown>)[field];
  }
  return error;
}

async function run<T>(sql: string, statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    throw translate(error, sql);
  }
}

/** Embedded PostgreSQL (WASM). One process per data directory. */
export async function openPgliteDatabase(options: { dataDir?: string; loadFrom?: Blob } = {}): Promise<Database> {
  // PGlite unpacks a new database with world-writable files whatever the umask; an existing one
  // was made private when it was created, so only a fresh unpack needs the walk over its files.
  const fresh = options.dataDir !== undefined && !existsSync(join(options.dataDir, 'PG_VERSION'));
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const pg = await PGlite.create({ dataDir: options.dataDir, loadDataDir: options.loadFrom, parsers });
  if (options.dataDir && fresh) makeTreePrivate(options.dataDir);
  return new PgliteDatabase(pg);
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  private readonly pg: PGlite;

  constructor(pg: PGlite) {
    this.pg = pg;
  }

  async query<T extends Row = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await run(sql, () => this.pg.query<T>(sql, params));
    return result.rows;
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    // Statements inside are translated one by one; this catches BEGIN and COMMIT (deferred checks).
    return run('BEGIN ... COMMIT', () =>
      this.pg.transaction(async (tx) =>
        fn({
          query: async <R extends Row>(sql: string, params: unknown[] = []) => (await run(sql, () => tx.query<R>(sql, params))).rows,
          exec: async (sql: string) => {
            await run(sql, () => tx.exec(sql));
          },
        }),
      ),
    );
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const unlisten = await this.pg.listen(channel, onNotify);
    return () => unlisten();
  }

  /** A snapshot of the whole data directory, used by tests to clone a migrated template. */
  dump(): Promise<Blob> {
    return this.pg.dumpDataDir('none');
  }

  async close(): Promise<void> {
    if (!this.pg.closed) await this.pg.close();
  }
}
