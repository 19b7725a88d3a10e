import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPgliteDatabase } from '../../src/storage/pglite-database.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { sharedGlobalSetup } from './shared-global-setup.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string | null;
  }
}

/**
 * Migrates one template per engine, once: every test file clones it (PGlite from a dump,
 * PostgreSQL with CREATE DATABASE ... TEMPLATE), so files stay isolated and fast.
 */
export default sharedGlobalSetup('database-templates', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'lifeline-test-'));
  const pglite = await openPgliteDatabase();
  await migrate(pglite);
  const dump = await (pglite as unknown as { dump(): Promise<Blob> }).dump();
  const dumpPath = join(scratch, 'pglite-template.tar');
  writeFileSync(dumpPath, Buffer.from(await dump.arrayBuffer()));
  await pglite.close();

  const url = process.env.DATABASE_URL;
  if (!url && process.env.CI === 'true') throw new Error('CI=true but DATABASE_URL is not set: the PostgreSQL tests cannot be skipped in CI');
  let template: string | null = null;
  if (url) {
    template = `lifeline_template_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    try {
      await admin.connect();
    } catch (error) {
      throw new Error(`DATABASE_URL is set but PostgreSQL cannot be reached (${(error as Error).message})`);
    }
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
    await admin.end();
    const { openPostgresDatabase } = await import('../../src/storage/pg-database.ts');
    const db = await openPostgresDatabase(withDatabase(url, template));
    await migrate(db);
    await db.close();
  }
  return {
    provided: { pgliteTemplate: dumpPath, postgresTemplate: template },
    teardown: async () => {
      rmSync(scratch, { recursive: true, force: true });
      if (url && template) {
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
        await admin.end();
      }
    },
  };
});

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
