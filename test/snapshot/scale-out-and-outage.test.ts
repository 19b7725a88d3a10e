import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { openPostgresDatabase } from '../../src/storage/pg-database.ts';
import { startTestApp, testConfig, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, engines, type TestDatabase } from '../helpers/database.ts';
import { freePort, startLifeline } from '../helpers/lifeline-process.ts';

/** Needs a PostgreSQL server: runs whenever DATABASE_URL is set, which CI always does. */
describe.runIf(engines().includes('postgres'))('several instances on one PostgreSQL', () => {
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    a = await startTestApp({ database });
    // The second instance has its own pool and its own LISTEN connection, like another Cloud Run instance.
    b = await startTestApp({ database: { ...database, db: await database.openAnother() } });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await database.dispose();
  });

  it('shows a change made through one instance on the other within a second', async () => {
    const token = await a.token('incidents:write');
    const created = await a.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      payload: { name: 'Seen everywhere', body: 'b' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(created.statusCode).toBe(201);
    await vi.waitFor(
      async () => {
        const summary = (await b.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json();
        expect(summary.incidents.map((i: { id: string }) => i.id)).toContain(created.json().id);
      },
      { timeout: 1000, interval: 20 },
    );
  });

  it('catches up through the revision check when a notification is missed', async () => {
    const [{ revision }] = await database.db.query<{ revision: number }>('UPDATE page SET revision = revision + 1, name = $1 RETURNING revision', [
      'Renamed quietly',
    ]);
    await b.app.snapshot.checkRevision();
    expect(b.app.snapshot.revision).toBe(revision);
    expect((await b.app.inject({ method: 'GET', url: '/api/v2/status.json' })).json().page.name).toBe('Renamed quietly');
  });
});

describe.runIf(engines().includes('postgres'))('database outage', () => {
  let database: TestDatabase;
  let t: TestApp;
  let dbName: string;
  const admin = () => new pg.Client({ connectionString: process.env.DATABASE_URL });

  async function setConnections(allow: boolean) {
    const client = admin();
    await client.connect();
    await client.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS ${allow}`);
    if (!allow) await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
    await client.end();
  }

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    dbName = new URL(database.url as string).pathname.slice(1);
    t = await startTestApp({ database });
    const token = await t.token('incidents:write');
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      payload: { name: 'Before the outage', body: 'b' },
      headers: { authorization: `Bearer ${token}` },
    });
    await t.settle();
  });
  afterAll(async () => {
    await setConnections(true);
    await t.close();
    await database.dispose();
  });

  it('keeps serving the last good snapshot, marked as possibly out of date, and never a 500', async () => {
    await setConnections(false);
    await t.app.snapshot.invalidate();
    expect(t.app.snapshot.stale).toBe(true);
    await vi.waitFor(
      async () => {
        const page = await t.app.inject({ method: 'GET', url: '/' });
        expect(page.statusCode).toBe(200);
        expect(page.body).toContain('This page may be out of date');
      },
      { timeout: 5000, interval: 20 },
    );
    const summary = await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' });
    expect(summary.statusCode).toBe(200);
    expect(summary.headers['x-lifeline-stale']).toBe('true');
    expect(summary.json().incidents.map((i: { name: string }) => i.name)).toContain('Before the outage');
    const incident = summary.json().incidents[0];
    expect((await t.app.inject({ method: 'GET', url: `/incidents/${incident.id}` })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ status: 'degraded', database: 'unreachable' });
    // Writes fail cleanly with 503, not 500.
    const token = 'lfl_x_y';
    const write = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      payload: { name: 'x', body: 'y' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(write.statusCode).toBe(503);
  });

  it('serves the snapshot saved on disk after a restart during the outage', async () => {
    const { config } = testConfig({ LIFELINE_DATA_DIR: t.dataDir, DATABASE_URL: database.url as string });
    const db = await openPostgresDatabase(database.url as string);
    const restarted = await buildApp({ config, db, logger: false });
    try {
      await restarted.ready();
      const page = await restarted.inject({ method: 'GET', url: '/api/v2/summary.json' });
      expect(page.statusCode).toBe(200);
      expect(page.json().incidents.map((i: { name: string }) => i.name)).toContain('Before the outage');
      const index = await restarted.inject({ method: 'GET', url: '/' });
      expect(index.statusCode).toBe(200);
      // Rendered again from the saved state, with the banner the saved (fresh) page lacked.
      expect(index.body).toContain('This page may be out of date');
      expect(index.body).toContain('Before the outage');
    } finally {
      await restarted.close();
      await db.close();
    }
  });

  it('starts with the default roles (web and worker) during the outage, serves the saved page, and runs its jobs once the database is back', async () => {
    const { config } = testConfig({ LIFELINE_DATA_DIR: t.dataDir, DATABASE_URL: database.url as string, LIFELINE_ROLES: 'web,worker' });
    const db = await openPostgresDatabase(database.url as string);
    const restarted = await buildApp({ config, db, logger: false });
    try {
      await restarted.ready();
      const page = await restarted.inject({ method: 'GET', url: '/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['x-lifeline-stale']).toBe('true');
      expect(page.body).toContain('Before the outage');

      await setConnections(true);
      // An event committed by another instance: this worker dispatches it once it reaches the database.
      const [{ id }] = await database.db.query<{ id: number }>(
        "INSERT INTO outbox_event (type, payload, created_at) VALUES ('incident.updated', '{}', now()) RETURNING id",
      );
      await vi.waitFor(
        async () => {
          const [event] = await database.db.query<{ dispatched_at: Date | null }>('SELECT dispatched_at FROM outbox_event WHERE id = $1', [id]);
          expect(event.dispatched_at).not.toBeNull();
        },
        { timeout: 20_000, interval: 200 },
      );
    } finally {
      await restarted.close();
      await db.close();
      await setConnections(false);
    }
  });

  it('starts the server process with the default roles during the outage, serving the saved page', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    // No LIFELINE_ROLES: web and worker, as `npm start` and the README run it.
    const server = await startLifeline(
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        LIFELINE_DATA_DIR: t.dataDir,
        DATABASE_URL: database.url as string,
        LIFELINE_PUBLIC_URL: baseUrl,
        LOG_LEVEL: 'warn',
      },
      baseUrl,
    );
    try {
      const page = await fetch(`${baseUrl}/api/v2/summary.json`);
      expect(page.status).toBe(200);
      expect(page.headers.get('x-lifeline-stale')).toBe('true');
      expect((await page.json()).incidents.map((i: { name: string }) => i.name)).toContain('Before the outage');
      expect(server.exited).toBe(false);
    } finally {
      await server.stop('SIGTERM');
    }
  });

  it('recovers once the database is back', async () => {
    await setConnections(true);
    await vi.waitFor(
      async () => {
        await t.app.snapshot.checkRevision();
        expect(t.app.snapshot.stale).toBe(false);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect((await t.app.inject({ method: 'GET', url: '/' })).body).not.toContain('This page may be out of date');
  });
});
