import type { Queryable } from './database.ts';
import type { AppSecretRow, SubscriberRow } from './db-types.generated.ts';
import { isSealed, type SecretBox } from './secret-box.ts';

/** Returns the shared secret `name`, creating it with `generate()` the first time (race-safe across instances). */
export async function ensureSecret(db: Queryable, name: string, generate: () => string, at: Date, box: SecretBox): Promise<string> {
  await db.query('INSERT INTO app_secret (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [name, box.seal(generate()), at]);
  const rows = await db.query<Pick<AppSecretRow, 'value'>>('SELECT value FROM app_secret WHERE name = $1', [name]);
  return box.open(rows[0].value);
}

/** Seals every secret still stored in clear (after LIFELINE_SECRET_KEY was set); returns how many. */
export async function sealStoredSecrets(db: Queryable, box: SecretBox): Promise<number> {
  let sealed = 0;
  for (const row of await db.query<Pick<AppSecretRow, 'name' | 'value'>>('SELECT name, value FROM app_secret')) {
    if (isSealed(row.value)) continue;
    await db.query('UPDATE app_secret SET value = $2 WHERE name = $1 AND value = $3', [row.name, box.seal(row.value), row.value]);
    sealed += 1;
  }
  for (const row of await db.query<Pick<SubscriberRow, 'id' | 'secret'>>('SELECT id, secret FROM subscriber WHERE secret IS NOT NULL')) {
    if (row.secret === null || isSealed(row.secret)) continue;
    await db.query('UPDATE subscriber SET secret = $2 WHERE id = $1 AND secret = $3', [row.id, box.seal(row.secret), row.secret]);
    sealed += 1;
  }
  return sealed;
}
