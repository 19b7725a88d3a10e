import swagger from '@fastify/swagger';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import { checkWebhookUrl } from './channels/ssrf-guard.ts';
import { generateWebhookSecret } from './channels/webhook-channel.ts';
import { importRoutes } from './routes/api/imports.ts';
import { randomIds, type IdSource } from './domain/ids.ts';
import { authPlugin } from './plugins/auth.ts';
import { answerFrameworkError, errorHandlerPlugin, MAX_PATH_PARAMETER_LENGTH } from './plugins/error-handler.ts';
import { idempotencyPlugin } from './plugins/idempotency.ts';
import { jobsPlugin } from './plugins/jobs.ts';
import { notificationsPlugin } from './plugins/notifications.ts';
import { publicSnapshotPlugin } from './plugins/public-snapshot.ts';
import { storagePlugin } from './plugins/storage.ts';
import { configureValidation } from './plugins/validation.ts';
import { chooseResponse, markedStale } from './snapshot/encoded-body.ts';
import { viewsPlugin } from './plugins/views.ts';
import { componentRoutes } from './routes/api/components.ts';
import { consoleRoutes } from './routes/console/index.ts';
import { heartbeatNoticeRoutes } from './routes/api/heartbeat-notices.ts';
import { incidentRoutes } from './routes/api/incidents.ts';
import { STATUSPAGE_V1_PREFIX, statuspageV1Routes, stripJsonSuffix } from './routes/statuspage-v1/index.ts';
import { maintenanceRoutes } from './routes/api/maintenances.ts';
import { openApiRoutes } from './routes/api/openapi.ts';
import { tokenRoutes } from './routes/api/tokens.ts';
import { userRoutes } from './routes/api/users.ts';
import { healthRoutes } from './routes/health.ts';
import { ingestRoutes } from './routes/ingest/index.ts';
import { heartbeatApiRoutes } from './routes/public-api/heartbeats.ts';
import { publicApiRoutes } from './routes/public-api/index.ts';
import { heartbeatPageRoutes } from './routes/status-page/heartbeat.ts';
import { statusPageRoutes } from './routes/status-page/index.ts';
import type { Database } from './storage/database.ts';
import { LOG_REDACT_PATHS } from './redact.ts';

export interface AppOptions {
  config: Config;
  /** An already open database (tests); otherwise one is opened from the config. */
  db?: Database;
  clock?: Clock;
  ids?: IdSource;
  /** Source of randomness for retry jitter; tests pin it. */
  random?: () => number;
  logger?: FastifyServerOptions['logger'];
  /**
   * Only the responder API (v1), no public page, snapshot or console: the CLI's in-process app
   * when no server is running, which should not spend seconds building pages nobody will see.
   */
  apiOnly?: boolean;
}

/** Whatever logger the caller asks for (tests pass their own stream), credentials and secrets are redacted. */
function withRedaction(logger: NonNullable<AppOptions['logger']>): AppOptions['logger'] {
  if (logger === false) return false;
  return { ...(logger === true ? {} : logger), redact: LOG_REDACT_PATHS };
}

/**
 * Fastify's `trustProxy: true` believes the left-most X-Forwarded-For entry, which the client
 * writes, and a plain number trusts nothing (Fastify 5.12 fails closed, since a hop count cannot
 * tell a proxy from a direct client). On Cloud Run every request arrives through Google's front
 * end, so the configured number of hops is trusted and the client is the entry the last of them saw.
 */
function trustedHops(hops: number): false | ((address: string, hop: number) => boolean) {
  return hops > 0 ? (_address, hop) => hop < hops : false;
}

/** Fastify's own default: longer than the idle timeout of common proxies (nginx 60 s, AWS ALB 60 s). */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/** The whole application as a Fastify instance: the server listens on it, tests inject into it. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config } = options;
  // The stampede path: a GET for a document the snapshot holds is answered before Fastify's
  // routing, with exactly what the route would send (same chooseResponse), for less CPU per visitor.
  let fastPath: ((request: IncomingMessage, response: ServerResponse) => boolean) | null = null;
  const app = Fastify({
    serverFactory: (handler) => {
      const server = createServer((request, response) => {
        if (fastPath?.(request, response)) return;
        handler(request, response);
      });
      // Fastify applies its keepAliveTimeout only to a server it creates itself; left at Node's 5 s,
      // a proxy or load balancer that reuses an idle connection a moment after we close it sees a
      // reset (a 502 to the visitor) in the middle of a stampede.
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      return server;
    },
    logger: withRedaction(options.logger ?? { level: config.env.LOG_LEVEL }),
    trustProxy: trustedHops(config.env.LIFELINE_TRUST_PROXY),
    bodyLimit: 256 * 1024,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    // The Statuspage door accepts every path with a `.json` suffix too, as Statuspage does.
    rewriteUrl: (request) => stripJsonSuffix(request.url ?? '/'),
    frameworkErrors: answerFrameworkError,
    forceCloseConnections: 'idle',
    // A stampede must not become a flood of access logs; writes are in the audit log, errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
  });
  configureValidation(app);

  await app.register(errorHandlerPlugin);
  await app.register(storagePlugin, {
    config,
    db: options.db,
    clock: options.clock ?? systemClock,
    ids: options.ids ?? randomIds,
    random: options.random ?? Math.random,
  });
  await app.register(viewsPlugin);
  await app.register(authPlugin);
  await app.register(idempotencyPlugin);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Lifeline responder API',
        version: '1',
        description:
          'Declare and update incidents, components and maintenance. Authenticate with Authorization: Bearer <token>. The paths under /v1 (tag statuspage-v1) are the Statuspage manage-API door: the tools that drive Atlassian Statuspage drive Lifeline with only their base URL changed.',
      },
      tags: [
        {
          name: 'statuspage-v1',
          description:
            "Atlassian Statuspage's manage API (v1), mounted at /v1: `Authorization: OAuth <token>` (or Bearer, or ?api_key=), `{page_id}` = page.id of /api/v2/summary.json, an optional .json suffix, JSON or Rails-style form bodies with unknown fields ignored, bare arrays, errors {error, message}, 429 with Retry-After past 60 requests per token per minute.",
        },
      ],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          oauth: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description: 'The Statuspage door (/v1): `OAuth <token>` (or `Bearer <token>`, or `?api_key=<token>`)',
          },
        },
      },
    },
  });

  const web = config.roles.includes('web');
  const publicPages = web && !options.apiOnly;
  // The page snapshot is the web role's: a worker-only process does not rebuild pages on every change.
  if (publicPages) {
    await app.register(publicSnapshotPlugin);
    fastPath = (request, response) => {
      if (request.method !== 'GET' || !request.url) return false;
      const body = app.snapshot.get(request.url);
      if (!body) return false;
      const fitting = chooseResponse(body, request.headers['accept-encoding'], request.headers['if-none-match']);
      const answer = app.snapshot.stale ? markedStale(fitting) : fitting;
      response.writeHead(answer.status, answer.headers);
      response.end(answer.payload ?? undefined);
      return true;
    };
  }
  await app.register(healthRoutes);
  if (publicPages) {
    await app.register(statusPageRoutes);
    await app.register(heartbeatPageRoutes);
    await app.register(publicApiRoutes);
    await app.register(heartbeatApiRoutes);
  }
  if (web) {
    await app.register(incidentRoutes);
    await app.register(heartbeatNoticeRoutes);
    await app.register(componentRoutes);
    await app.register(maintenanceRoutes);
    await app.register(tokenRoutes);
    await app.register(userRoutes);
    await app.register(ingestRoutes);
    await app.register(openApiRoutes);
    // Both doors create webhook subscribers: the same SSRF guard and secret generator.
    const webhookOptions = {
      checkWebhookUrl: (url: string) => checkWebhookUrl(url, { allowPrivate: config.env.LIFELINE_ALLOW_PRIVATE_WEBHOOKS }),
      generateWebhookSecret: () => generateWebhookSecret(),
    };
    await app.register(statuspageV1Routes, { prefix: STATUSPAGE_V1_PREFIX, ...webhookOptions });
    await app.register(importRoutes, webhookOptions);
    if (publicPages) await app.register(consoleRoutes, { generateWebhookSecret: () => generateWebhookSecret() });
  }
  await app.register(notificationsPlugin);
  if (config.roles.includes('worker')) await app.register(jobsPlugin);
  return app;
}
