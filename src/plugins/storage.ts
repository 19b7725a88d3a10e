import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { prepareDataDir } from '../data-dir.ts';
import { SYSTEM_ACTORS, type Actor } from '../domain/actor.ts';
import type { IdSource } from '../domain/ids.ts';
import type { ServiceContext } from '../services/context.ts';
import { syncAlertRecipients } from '../services/notifications/sync-alert-recipients.ts';
import { syncPageDefinition } from '../services/components/sync-page-definition.ts';
import { DatabaseUnavailableError, type Database } from '../storage/database.ts';
import { migrate } from '../storage/migrate.ts';
import { createSecretBox, PLAIN_BOX, type SecretBox } from '../storage/secret-box.ts';
import { ensureSecret, sealStoredSecrets } from '../storage/secret-repository.ts';
import { openDatabase } from '../storage/open-database.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Database;
    clock: Clock;
    ids: IdSource;
    random: () => number;
    /**
     * A use-case context acting as `actor`: always a real actor, so who may do what is explicit
     * at every call (setup scripts and tests say `labelledOperator('label')` for the operator).
     */
    serviceContext(actor: Actor): ServiceContext;
    /** Key that signs subscriber links; shared by all instances through the database. */
    linkKey(): string;
    /** Seals and opens the secrets kept in the database (LIFELINE_SECRET_KEY). */
    secretBox: SecretBox;
    /**
     * Starts a part that needs the migrated database (the worker's loops): at once when it was
     * reached at start, otherwise once it is back, so a restart during an outage still serves.
     */
    afterDatabaseReady(what: string, start: () => Promise<void>): Promise<void>;
  }
}

/** How often start-up work is tried again while the database is unreachable. */
const DATABASE_RETRY_MS = 5_000;

/** Opens the database (or takes the one given), applies migrations and syncs the page definition. */
export const storagePlugin = fp(async (app: FastifyInstance, options: { config: Config; db?: Database; clock: Clock; ids: IdSource; random: () => number }) => {
  prepareDataDir(options.config.dataDir, app.log);
  const db =
    options.db ??
    (await openDatabase({ databaseUrl: options.config.databaseUrl, dataDir: options.config.dataDir, poolSize: options.config.env.DATABASE_POOL_SIZE }));
  if (!options.db) app.addHook('onClose', async () => db.close());
  app.decorate('config', options.config);
  app.decorate('db', db);
  app.decorate('clock', options.clock);
  app.decorate('ids', options.ids);
  app.decorate('random', options.random);
  const key = options.config.env.LIFELINE_SECRET_KEY as Buffer | '';
  const secretBox = key ? createSecretBox(key) : PLAIN_BOX;
  app.decorate('secretBox', secretBox);
  app.decorate(
    'serviceContext',
    (actor: Actor): ServiceContext => ({
      db,
      clock: options.clock,
      ids: options.ids,
      actor,
      log: app.log,
      secrets: secretBox,
    }),
  );

  let initialized = false;
  let closed = false;
  let databaseBack: () => void = () => {};
  const whenInitialized = new Promise<void>((resolve) => {
    databaseBack = resolve;
  });
  const retries = new Set<NodeJS.Timeout>();
  app.addHook('onClose', async () => {
    closed = true;
    for (const retry of retries) clearTimeout(retry);
  });
  app.decorate('afterDatabaseReady', async (what: string, start: () => Promise<void>) => {
    if (initialized) return start();
    app.log.warn(`database unreachable: the ${what} will start once it is back`);
    const attempt = async () => {
      if (closed) return;
      try {
        await start();
        app.log.info(`database is back: the ${what} started`);
      } catch (error) {
        if (!(error instanceof DatabaseUnavailableError)) return app.log.error({ err: error }, `the ${what} could not start`);
        const retry = setTimeout(() => {
          retries.delete(retry);
          void attempt();
        }, DATABASE_RETRY_MS);
        retry.unref();
        retries.add(retry);
      }
    };
    void whenInitialized.then(attempt);
  });

  let linkKey: string | null = null;
  app.decorate('linkKey', () => {
    if (!linkKey) throw new DatabaseUnavailableError(new Error('link signing key not loaded yet'));
    return linkKey;
  });
  const initialize = async () => {
    const applied = await migrate(db);
    if (secretBox.encrypting) {
      const sealed = await sealStoredSecrets(db, secretBox);
      if (sealed > 0) app.log.info({ sealed }, 'stored secrets encrypted with LIFELINE_SECRET_KEY');
    }
    linkKey = await ensureSecret(db, 'link-signing-key', () => options.ids.bytes(32).toString('base64url'), options.clock.now(), secretBox);
    if (applied.length > 0) app.log.info({ applied }, 'migrations applied');
    const synced = await syncPageDefinition(app.serviceContext(SYSTEM_ACTORS.config), options.config.pageDefinition);
    if (synced.created.length + synced.archived.length > 0) app.log.info(synced, 'page definition synced');
    const recipients = await syncAlertRecipients(app.serviceContext(SYSTEM_ACTORS.config), options.config.pageDefinition.heartbeats ?? []);
    if (recipients.added.length + recipients.removed.length > 0) app.log.info(recipients, 'heartbeat alert recipients synced');
    initialized = true;
    databaseBack();
  };
  try {
    await initialize();
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError)) throw error;
    // Start anyway and serve the snapshot saved on disk; keep trying to reach the database.
    app.log.error({ err: error }, 'database unreachable at start; serving the saved snapshot until it is back');
    const retry = setInterval(() => {
      initialize().then(
        () => clearInterval(retry),
        (retryError: unknown) => {
          // Still unreachable is expected; anything else (a failing migration) must be seen.
          if (!(retryError instanceof DatabaseUnavailableError))
            app.log.error({ err: retryError }, 'start-up work failed now that the database answers; trying again');
        },
      );
    }, DATABASE_RETRY_MS);
    retry.unref();
    app.addHook('onClose', async () => clearInterval(retry));
  }
});
