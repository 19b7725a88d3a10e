import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listMigrations, migrate, MigrationChangedError } from '../../src/storage/migrate.ts';
import { startTestApp } from '../helpers/app.ts';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/database.ts';

const REAL_MIGRATIONS = join(import.meta.dirname, '../../migrations');

/** Each applied migration's recorded checksum, by version. */
async function recordedChecksums(database: TestDatabase): Promise<Record<string, string | null>> {
  const rows = await database.db.query<{ version: string; checksum: string | null }>('SELECT version, checksum FROM schema_migration ORDER BY version');
  return Object.fromEntries(rows.map((row) => [row.version, row.checksum]));
}

/** Migrations are append-only: the sha256 of each applied file is recorded, and an edit stops the start. */
describe.each(engines())('migration checksums on %s', (engine) => {
  let database: TestDatabase;
  let scratch: string;
  /** A copy of migrations/ that a test may edit; the test database was migrated from the real one. */
  let copy: string;
  const scratches: string[] = [];

  beforeEach(async () => {
    database = await createTestDatabase(engine);
    scratch = mkdtempSync(join(tmpdir(), 'lifeline-migrations-'));
    scratches.push(scratch);
    copy = join(scratch, 'migrations');
    cpSync(REAL_MIGRATIONS, copy, { recursive: true });
  });
  afterEach(() => database.dispose());
  afterAll(() => {
    for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
  });

  it('records the sha256 of every applied file; an unchanged second run applies and changes nothing', async () => {
    const expected = Object.fromEntries(listMigrations(copy).map((m) => [m.version, m.checksum]));
    expect(Object.values(expected).every((checksum) => /^[0-9a-f]{64}$/.test(checksum))).toBe(true);
    expect(await recordedChecksums(database)).toEqual(expected);
    expect(await migrate(database.db, copy)).toEqual([]);
    expect(await recordedChecksums(database)).toEqual(expected);
  });

  it('refuses to go on when an applied file was edited, naming the file', async () => {
    appendFileSync(join(copy, '003_heartbeats.sql'), '\n-- an afterthought\n');
    const refused = migrate(database.db, copy);
    await expect(refused).rejects.toThrow(MigrationChangedError);
    await expect(refused).rejects.toThrow('migrations/003_heartbeats.sql changed after it was applied; add a new migration instead');
  });

  it('applies a new file after the last, with its checksum, and then holds it to that checksum too', async () => {
    const file = join(copy, '999_checksum_probe.sql');
    appendFileSync(file, 'CREATE TABLE checksum_probe (id int PRIMARY KEY);\n');
    expect(await migrate(database.db, copy)).toEqual(['999_checksum_probe']);
    expect((await recordedChecksums(database))['999_checksum_probe']).toBe(listMigrations(copy).at(-1)?.checksum);
    appendFileSync(file, 'CREATE TABLE checksum_probe_2 (id int PRIMARY KEY);\n');
    await expect(migrate(database.db, copy)).rejects.toThrow('migrations/999_checksum_probe.sql changed after it was applied');
    const tables = await database.db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'checksum_probe_2'");
    expect(tables).toEqual([]);
  });

  it('fills in the checksums of a database migrated before they were kept (first start after the upgrade), then checks them', async () => {
    await database.db.query('ALTER TABLE schema_migration DROP COLUMN checksum');
    expect(await migrate(database.db, copy)).toEqual([]);
    expect(await recordedChecksums(database)).toEqual(Object.fromEntries(listMigrations(copy).map((m) => [m.version, m.checksum])));
    appendFileSync(join(copy, '001_initial.sql'), '\n');
    await expect(migrate(database.db, copy)).rejects.toThrow('migrations/001_initial.sql changed after it was applied');
  });

  it('stops the app from starting when a recorded checksum does not match its file', async () => {
    await database.db.query("UPDATE schema_migration SET checksum = repeat('0', 64) WHERE version = '002_notifications'");
    await expect(startTestApp({ database })).rejects.toThrow('migrations/002_notifications.sql changed after it was applied; add a new migration instead');
  });
});
