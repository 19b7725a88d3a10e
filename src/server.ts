import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { startAdminSocket } from './cli/admin-socket.ts';
import { PRIVATE_UMASK } from './data-dir.ts';
import { redactUrl } from './redact.ts';

/** The process shell: read config, build the app, listen, stop cleanly on SIGTERM (Cloud Run) and SIGINT. */
async function main() {
  // Whatever this process or its libraries create (the embedded database, mail, the saved page) is private.
  process.umask(PRIVATE_UMASK);
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`lifeline: configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const app = await buildApp({ config });
  const stopSocket = config.env.LIFELINE_ADMIN_SOCKET ? await startAdminSocket(app) : null;
  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    { roles: config.roles, database: config.databaseUrl ? redactUrl(config.databaseUrl) : 'pglite', dataDir: config.dataDir },
    `Lifeline is serving ${redactUrl(config.publicUrl)}`,
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await stopSocket?.();
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  console.error(`lifeline: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
