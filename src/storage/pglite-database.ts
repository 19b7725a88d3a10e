import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import type { Database, Row, Transaction } from './database.ts';

const parsers = { [types.INT8]: (value: string) => Number(value) };

/** Embedded PostgreSQL (WASM). One process per data directory. */
export async function openPgliteDatabase(options: { dataDir?: string; loadFrom?: Blob } = {}): Promise<Database> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const pg = await PGlite.create({ dataDir: options.dataDir, loadDataDir: options.loadFrom, parsers });
  return new PgliteDatabase(pg);
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  private readonly pg: PGlite;

  constructor(pg: PGlite) {
    this.pg = pg;
  }

  async query<T extends Row = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.pg.query<T>(sql, params);
    return result.rows;
  }

  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.pg.transaction(async (tx) =>
      fn({
        query: async <R extends Row>(sql: string, params: unknown[] = []) => (await tx.query<R>(sql, params)).rows,
        exec: async (sql: string) => {
          await tx.exec(sql);
        },
      }),
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

export type { PgliteDatabase };
