import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

describe('src/storage/db-types.generated.ts', () => {
  it('is what the migrations give (a new migration comes with `npm run db:types`)', async () => {
    // The generator applies every migration to a fresh in-memory PGlite and compares the row types it reads back.
    const run = promisify(execFile)(process.execPath, [join(ROOT, 'scripts/gen-db-types.mjs'), '--check'], { cwd: ROOT });
    await expect(run).resolves.toMatchObject({ stderr: '' });
  }, 60_000);
});
