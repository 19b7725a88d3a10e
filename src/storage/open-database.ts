import { embeddedDatabaseDir } from '../data-dir.ts';
import type { Database } from './database.ts';
import { openPostgresDatabase } from './pg-database.ts';
import { openPgliteDatabase } from './pglite-database.ts';

/** DATABASE_URL selects the server; otherwise the embedded database under the data directory. */
export function openDatabase(options: { databaseUrl: string | null; dataDir: string; poolSize?: number }): Promise<Database> {
  if (options.databaseUrl) return openPostgresDatabase(options.databaseUrl, { poolSize: options.poolSize });
  return openPgliteDatabase({ dataDir: embeddedDatabaseDir(options.dataDir) });
}
