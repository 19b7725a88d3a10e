import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig, validatePageDefinition, type Config, type PageDefinition } from '../../src/config.ts';
import type { Scope } from '../../src/domain/capabilities.ts';
import { createApiToken } from '../../src/services/access/create-api-token.ts';
import { OPERATOR_GRANTOR } from '../../src/services/access/grantor.ts';
import type { Database } from '../../src/storage/database.ts';
import { createTestDatabase, type EngineKind, type TestDatabase } from './database.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

export const TEST_DEFINITION: PageDefinition = validatePageDefinition({
  page: { name: 'Acme Chat', url: 'https://www.acme.example', time_zone: 'Etc/UTC' },
  groups: [
    {
      key: 'us',
      name: 'United States',
      components: [
        { key: 'us-messaging', name: 'Messaging' },
        { key: 'us-api', name: 'API' },
      ],
    },
    {
      key: 'eu',
      name: 'Europe',
      components: [
        { key: 'eu-messaging', name: 'Messaging' },
        { key: 'eu-api', name: 'API' },
      ],
    },
  ],
  components: [{ key: 'website', name: 'Website' }],
});

export interface TestApp {
  app: FastifyInstance;
  db: Database;
  database: TestDatabase;
  clock: ManualClock;
  config: Config;
  dataDir: string;
  /** A fresh bearer token with these scopes. */
  token(...scopes: Scope[]): Promise<string>;
  /** Component id by key. */
  componentId(key: string): Promise<string>;
  /** Waits until the snapshot reflects every committed change. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export function testConfig(overrides: Record<string, string> = {}, definition: PageDefinition = TEST_DEFINITION): { config: Config; dataDir: string } {
  const dataDir = overrides.LIFELINE_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'lifeline-data-'));
  const config = loadConfig(
    { LIFELINE_DATA_DIR: dataDir, LOG_LEVEL: 'silent', LIFELINE_PUBLIC_URL: 'https://status.acme.example', LIFELINE_ROLES: 'web', ...overrides },
    dataDir,
  );
  return { config: { ...config, pageDefinition: definition }, dataDir };
}

/** The real app on a database of its own, with a manual clock. */
export async function startTestApp(
  options: { engine?: EngineKind; database?: TestDatabase; env?: Record<string, string>; clock?: ManualClock; definition?: PageDefinition } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase(options.engine));
  const clock = options.clock ?? new ManualClock('2026-03-10T12:00:00Z');
  const { config, dataDir } = testConfig(options.env, options.definition);
  const app = await buildApp({ config, db: database.db, clock, random: () => 0.5, logger: process.env.TEST_LOG ? { level: 'error' } : false });
  await app.ready();
  return {
    app,
    db: database.db,
    database,
    clock,
    config,
    dataDir,
    token: async (...scopes) =>
      (await createApiToken(app.serviceContext(labelledOperator('test')), { name: `test-${scopes.join('-') || 'none'}`, scopes }, OPERATOR_GRANTOR)).token,
    componentId: async (key) => {
      const rows = await database.db.query<{ id: string }>('SELECT id FROM component WHERE key = $1', [key]);
      return rows[0].id;
    },
    settle: () => app.snapshot.invalidate(),
    close: async () => {
      await app.close();
      if (!options.database) await database.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
