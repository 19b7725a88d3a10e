import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePageDefinition } from '../../src/config.ts';
import type { Database, Queryable, Row } from '../../src/storage/database.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { consoleClient, type ConsoleSession } from '../helpers/console-client.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/** Wraps a database so every statement (inside transactions too) is counted. */
function countingDatabase(inner: Database) {
  const counter = { statements: 0 };
  const counted = <Q extends Queryable>(target: Q): Q =>
    new Proxy(target, {
      get(object, property, receiver) {
        if (property === 'query') {
          return (sql: string, params?: unknown[], options?: object) => {
            counter.statements++;
            return object.query<Row>(sql, params, options);
          };
        }
        if (property === 'transaction') {
          return <T>(fn: (tx: Parameters<Parameters<Database['transaction']>[0]>[0]) => Promise<T>) => inner.transaction((tx) => fn(counted(tx)));
        }
        const value = Reflect.get(object, property, receiver);
        return typeof value === 'function' ? value.bind(object) : value;
      },
    });
  return { db: counted(inner), counter };
}

/**
 * The dashboard's signal panel lists the open automatic notices with their episodes. It reads all
 * the episodes in one statement, so the page costs the same number of statements however many
 * notices are open (it used to read one episode per notice).
 */
describe('console dashboard: statements per page load', () => {
  let database: TestDatabase;
  let counter: { statements: number };
  let t: TestApp;
  let session: ConsoleSession;
  let noticeCount = 0;

  beforeAll(async () => {
    const real = await createTestDatabase();
    const counting = countingDatabase(real.db);
    counter = counting.counter;
    database = { ...real, db: counting.db };
    const definition = validatePageDefinition({
      ...TEST_DEFINITION,
      heartbeats: [{ key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['eu', 'us', 'ap', 'sa', 'af'] }],
    });
    t = await startTestApp({ database, definition });
    const client = consoleClient(t);
    await client.account('viewer@acme.example', 'viewer');
    session = await client.signIn('viewer@acme.example');
  });
  afterAll(async () => {
    await t.close();
    await database.dispose();
  });

  /** An automatic notice as the detector opens it: an incident from the heartbeat source with its episode. */
  async function openNotice(region: string) {
    const id = `hb-notice-${++noticeCount}`;
    const now = t.clock.now();
    await t.db.query(
      `INSERT INTO incident (id, page_id, kind, name, status, impact, source, created_at, updated_at, started_at)
       SELECT $1, id, 'incident', $2, 'investigating', 'major', 'heartbeat', $3, $3, $3 FROM page`,
      [id, `Messages created dropped in ${region}`, now],
    );
    await t.db.query("INSERT INTO heartbeat_episode (metric, region, started_at, tier, incident_id) VALUES ('messages-created', $1, $2, 'major', $3)", [
      region,
      now,
      id,
    ]);
  }

  async function statementsForDashboard(): Promise<number> {
    const before = counter.statements;
    const response = await t.app.inject({ method: 'GET', url: '/console', headers: { cookie: session.cookie }, remoteAddress: session.ip });
    expect(response.statusCode, response.body).toBe(200);
    return counter.statements - before;
  }

  it('reads the same number of statements with one open notice as with five', async () => {
    await openNotice('eu');
    const withOne = await statementsForDashboard();
    for (const region of ['us', 'ap', 'sa', 'af']) await openNotice(region);
    const withFive = await statementsForDashboard();
    const page = await t.app.inject({ method: 'GET', url: '/console', headers: { cookie: session.cookie }, remoteAddress: session.ip });
    // All five notices are on the page, each with its series' label (read from its episode).
    expect(page.body.match(/Messages created dropped in/g)?.length).toBeGreaterThanOrEqual(5);
    expect(withFive).toBe(withOne);
  });
});
