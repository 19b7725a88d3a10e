import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { validatePageDefinition } from '../../src/config.ts';
import { labelledOperator } from '../../src/domain/actor.ts';
import { randomIds } from '../../src/domain/ids.ts';
import type { ServiceContext } from '../../src/services/context.ts';
import { declareIncident } from '../../src/services/incidents/declare-incident.ts';
import { loadPublicStatus } from '../../src/queries/load-public-status.ts';
import { postIncidentUpdate } from '../../src/services/incidents/post-incident-update.ts';
import { syncPageDefinition } from '../../src/services/components/sync-page-definition.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { listStatusChanges } from '../../src/storage/page-repository.ts';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/database.ts';

/** The same SQL and migrations on both adapters: these run on PGlite always and on PostgreSQL when DATABASE_URL is set. */
describe.each(engines())('storage on %s', (engine) => {
  let database: TestDatabase;
  let ctx: ServiceContext;
  const clock = new ManualClock('2026-02-01T00:00:00Z');

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ctx = { db: database.db, clock, ids: randomIds, actor: labelledOperator('test') };
  });
  afterAll(() => database.dispose());

  it('has nothing left to migrate on a migrated database', async () => {
    expect(await migrate(database.db)).toEqual([]);
  });

  it('syncs the page definition by key: renames keep ids, removals archive', async () => {
    const first = await syncPageDefinition(
      ctx,
      validatePageDefinition({
        page: { name: 'Acme' },
        groups: [
          {
            key: 'us',
            name: 'US',
            components: [
              { key: 'us-api', name: 'API' },
              { key: 'us-web', name: 'Web' },
            ],
          },
        ],
      }),
    );
    expect(first.created).toEqual(['us-api', 'us-web']);
    const [before] = await database.db.query<{ id: string }>("SELECT id FROM component WHERE key = 'us-api'");
    clock.advance(60_000);
    const second = await syncPageDefinition(
      ctx,
      validatePageDefinition({
        page: { name: 'Acme Inc' },
        groups: [{ key: 'us', name: 'United States', components: [{ key: 'us-api', name: 'Public API' }] }],
      }),
    );
    expect(second).toMatchObject({ pageId: first.pageId, created: [], archived: ['us-web'] });
    const [after] = await database.db.query<{ id: string; name: string }>("SELECT id, name FROM component WHERE key = 'us-api'");
    expect(after).toEqual({ id: before.id, name: 'Public API' });
    const status = await loadPublicStatus(database.db, clock.now());
    expect(status.page.name).toBe('Acme Inc');
    expect(status.components.map((c) => c.key)).toEqual(['us-api']);
    expect(status.groups.map((g) => g.name)).toEqual(['United States']);
  });

  it('records status history and reads the window with the status in force before it', async () => {
    clock.set('2026-02-10T00:00:00Z');
    const incident = await declareIncident(ctx, { name: 'Down', body: 'b', components: { 'us-api': 'major_outage' } });
    clock.set('2026-02-10T02:00:00Z');
    await postIncidentUpdate(ctx, incident.id, { status: 'resolved', body: 'up' });
    const changes = await listStatusChanges(database.db, new Date('2026-02-10T01:00:00Z'));
    const [api] = await database.db.query<{ id: string }>("SELECT id FROM component WHERE key = 'us-api'");
    expect(changes.get(api.id)?.map((c) => [c.status, c.at.toISOString()])).toEqual([
      ['major_outage', '2026-02-10T00:00:00.000Z'],
      ['operational', '2026-02-10T02:00:00.000Z'],
    ]);
    const status = await loadPublicStatus(database.db, new Date('2026-02-11T00:00:00Z'));
    expect(status.unresolvedIncidents).toEqual([]);
    expect(status.recentIncidents[0]).toMatchObject({ id: incident.id, status: 'resolved', resolved_at: new Date('2026-02-10T02:00:00Z') });
    expect(status.page.revision).toBeGreaterThan(0);
  });

  it('rolls a failed use-case back entirely', async () => {
    const before = await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM incident');
    await expect(declareIncident(ctx, { name: 'x', body: 'y', components: { 'us-api': 'major_outage', missing: 'major_outage' } })).rejects.toThrow(
      /components\.missing/,
    );
    const after = await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM incident');
    expect(after[0].n).toBe(before[0].n);
    const [api] = await database.db.query<{ status: string }>("SELECT status FROM component WHERE key = 'us-api'");
    expect(api.status).toBe('operational');
  });
});
