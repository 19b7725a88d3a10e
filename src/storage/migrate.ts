import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';
import { lockMigrations } from './locks.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface Migration {
  version: string;
  sql: string;
  /** The file as people name it, e.g. `migrations/003_heartbeats.sql`. */
  file: string;
  /** sha256 (hex) of the file, line endings as LF, so a Windows checkout matches a Linux one. */
  checksum: string;
}

/** A migration file edited after it was applied: the database no longer matches what the file says. */
export class MigrationChangedError extends Error {
  constructor(file: string) {
    super(`${file} changed after it was applied; add a new migration instead`);
    this.name = 'MigrationChangedError';
  }
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((name) => /^\d+_.+\.sql$/.test(name))
    .sort()
    .map((name) => {
      const sql = readFileSync(`${dir}/${name}`, 'utf8');
      const checksum = createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
      return { version: name.replace(/\.sql$/, ''), sql, file: `${basename(dir)}/${name}`, checksum };
    });
}

/**
 * Applies pending migrations in order, each in its own transaction, and records each file's
 * checksum. An applied migration whose file has changed stops the start (MigrationChangedError);
 * one applied before checksums were kept gets its checksum recorded. Returns the versions applied.
 */
export async function migrate(db: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  await db.transaction(async (tx) => {
    await lockMigrations(tx);
    await tx.query('CREATE TABLE IF NOT EXISTS schema_migration (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    await tx.query('ALTER TABLE schema_migration ADD COLUMN IF NOT EXISTS checksum text');
  });
  const applied: string[] = [];
  for (const migration of listMigrations(dir)) {
    const done = await db.transaction(async (tx) => {
      await lockMigrations(tx);
      const existing = await tx.query<{ checksum: string | null }>('SELECT checksum FROM schema_migration WHERE version = $1', [migration.version]);
      if (existing.length > 0) {
        const recorded = existing[0].checksum;
        if (recorded === null)
          await tx.query('UPDATE schema_migration SET checksum = $2 WHERE version = $1 AND checksum IS NULL', [migration.version, migration.checksum]);
        else if (recorded !== migration.checksum) throw new MigrationChangedError(migration.file);
        return false;
      }
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migration (version, checksum) VALUES ($1, $2)', [migration.version, migration.checksum]);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}
