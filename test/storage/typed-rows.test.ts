import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIncident } from '../../src/storage/incident-repository.ts';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/database.ts';

/**
 * The repositories map typed rows (src/storage/db-types.generated.ts) without casts: what the
 * schema allows but a kind forbids is reported by the row's id, never handed on half-typed.
 */
describe.each(engines())('typed rows on %s', (engine) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    await database.db.query(
      "INSERT INTO page (id, name, url, created_at, updated_at) VALUES ('p', 'Acme', 'https://status.example.com', now(), now()) ON CONFLICT DO NOTHING",
    );
  });
  afterAll(() => database.dispose());

  const insert = (id: string, kind: string, status: string, window: boolean) =>
    database.db.query(
      `INSERT INTO incident (id, page_id, kind, name, status, impact, created_at, updated_at, started_at, scheduled_for, scheduled_until)
       VALUES ($1, (SELECT id FROM page LIMIT 1), $2, 'n', $3, 'none', now(), now(), now(), CASE WHEN $4 THEN now() END, CASE WHEN $4 THEN now() END)`,
      [id, kind, status, window],
    );

  it('reads each kind with its own status vocabulary and, for a maintenance, its window', async () => {
    await insert('typed-incident', 'incident', 'monitoring', false);
    await insert('typed-maintenance', 'maintenance', 'scheduled', true);
    expect(await findIncident(database.db, 'typed-incident')).toMatchObject({ kind: 'incident', status: 'monitoring' });
    const maintenance = await findIncident(database.db, 'typed-maintenance', 'maintenance');
    expect(maintenance).toMatchObject({ kind: 'maintenance', status: 'scheduled', auto_start: false });
    expect(maintenance?.scheduled_for).toBeInstanceOf(Date);
  });

  it("names the row when a kind holds the other kind's status or a maintenance has no window", async () => {
    await insert('wrong-status', 'incident', 'in_progress', false);
    await insert('no-window', 'maintenance', 'scheduled', false);
    await expect(findIncident(database.db, 'wrong-status')).rejects.toThrow("incident wrong-status: kind 'incident' with status 'in_progress' cannot be read");
    await expect(findIncident(database.db, 'no-window')).rejects.toThrow(
      "incident no-window: kind 'maintenance' with status 'scheduled' and no window cannot be read",
    );
  });

  it('refuses a value outside a fixed vocabulary (migration 011), so the generated unions hold', async () => {
    await expect(insert('bad-status', 'incident', 'on_fire', false)).rejects.toMatchObject({ constraint: 'incident_status_check' });
  });
});
