import type { Queryable } from './database.ts';

/** Returns the shared secret `name`, creating it with `generate()` the first time (race-safe across instances). */
export async function ensureSecret(db: Queryable, name: string, generate: () => string, at: Date): Promise<string> {
  await db.query('INSERT INTO app_secret (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [name, generate(), at]);
  const rows = await db.query<{ value: string }>('SELECT value FROM app_secret WHERE name = $1', [name]);
  return rows[0].value;
}
