import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import type { Database } from '../../src/storage/database.ts';
import { openPostgresDatabase } from '../../src/storage/pg-database.ts';
import { openPgliteDatabase } from '../../src/storage/pglite-database.ts';
import { withDatabase } from './global-setup.ts';

export type EngineKind = 'pglite' | 'postgres';

export interface TestDatabase {
  db: Database;
  kind: EngineKind;
  /** Connection string of a PostgreSQL test database (null on PGlite). */
  url: string | null;
  /** Another connection pool on the same database (a second instance). */
  openAnother(): Promise<Database>;
  dispose(): Promise<void>;
}

/** Engines to run storage tests on: PGlite always, PostgreSQL whenever DATABASE_URL is set. */
export function engines(): EngineKind[] {
  return inject('postgresTemplate') ? ['pglite', 'postgres'] : ['pglite'];
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The engine of this vitest project (see vitest.config.ts): HTTP suites run once per engine. */
    testEngine: EngineKind;
  }
}

/** The engine for HTTP tests: the one of the vitest project running the file (PGlite, and PostgreSQL when DATABASE_URL is set). */
export function defaultEngine(): EngineKind {
  return inject('testEngine');
}

/** A migrated, empty database of its own, cloned from the template. */
export async function createTestDatabase(kind: EngineKind = defaultEngine()): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const template = new Blob([readFileSync(inject('pgliteTemplate'))]);
    const db = await openPgliteDatabase({ loadFrom: template });
    return { db, kind, url: null, openAnother: () => Promise.reject(new Error('PGlite is one process only')), dispose: () => db.close() };
  }
  const base = process.env.DATABASE_URL as string;
  const template = inject('postgresTemplate') as string;
  const name = `lifeline_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        break;
      } catch (error) {
        // Two files cloning the template at the same instant: PostgreSQL refuses one; try again.
        if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    await admin.end();
  }
  const url = withDatabase(base, name);
  const db = await openPostgresDatabase(url, { poolSize: 5 });
  const others: Database[] = [];
  return {
    db,
    kind,
    url,
    openAnother: async () => {
      const other = await openPostgresDatabase(url, { poolSize: 5 });
      others.push(other);
      return other;
    },
    dispose: async () => {
      await Promise.all([db, ...others].map((d) => d.close().catch(() => {})));
      const cleanup = new pg.Client({ connectionString: base });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
