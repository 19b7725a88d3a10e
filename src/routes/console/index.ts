import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance } from 'fastify';
import { consoleSessionPlugin } from '../../plugins/console-session.ts';
import { httpStatusOf } from '../../plugins/http-errors.ts';
import { describeValidation } from '../../services/shared/contract.ts';
import { isDatabaseUnavailable } from '../../queries/availability.ts';
import { accountRoutes } from './account.ts';
import { auditConsoleRoutes } from './audit.ts';
import { componentConsoleRoutes } from './components.ts';
import { deliveryConsoleRoutes } from './deliveries.ts';
import { incidentConsoleRoutes } from './incidents.ts';
import { createKit } from './kit.ts';
import { maintenanceConsoleRoutes } from './maintenances.ts';
import { consoleHeaders, createConsoleRenderer } from './render.ts';
import { signalConsoleRoutes } from './signal.ts';
import { signInRoutes } from './sign-in.ts';
import { subscriberConsoleRoutes } from './subscribers.ts';
import { templateConsoleRoutes } from './templates.ts';
import { tokenConsoleRoutes } from './tokens.ts';
import { userConsoleRoutes } from './users.ts';

/**
 * The responder console under /console: server-rendered pages behind a cookie session, every
 * state-changing form same-origin and CSRF-checked. Its own plugin context: form bodies, the
 * session cookie and HTML error pages stay here.
 */
/** `generateWebhookSecret`: new signing secrets for the subscribers page (the webhook channel's, wired by the app). */
export async function consoleRoutes(app: FastifyInstance, options: { generateWebhookSecret: () => string }) {
  // Server time of every console answer, the session lookup included (this hook runs first), for
  // the browser's dev tools and `npm run bench:console`; the budget is 100 ms per page.
  const started = new WeakMap<object, number>();
  app.addHook('onRequest', async (request) => {
    started.set(request, performance.now());
  });
  app.addHook('onSend', async (request, reply) => {
    const at = started.get(request);
    if (at !== undefined) reply.header('server-timing', `app;dur=${(performance.now() - at).toFixed(1)}`);
  });
  // Every console answer (redirects, refusals, fragments, JSON) is uncacheable, unframable and runs
  // no script; a rendered page replaces the policy with one allowing its own fixed script.
  app.addHook('onRequest', async (_request, reply) => {
    consoleHeaders(reply);
  });
  await app.register(formbody);
  await app.register(rateLimit, { global: false });
  await app.register(consoleSessionPlugin);
  const kit = createKit(app, createConsoleRenderer(app.views));

  // HTML errors for HTML pages: what is wrong in words, never a stack trace or JSON.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = httpStatusOf(error);
    let message = error.message;
    if (error.validation) {
      message = describeValidation(error.validation, error.validationContext).message;
    } else if (isDatabaseUnavailable(error)) {
      message = 'The database cannot be reached right now. The public status page keeps being served; try again in a moment.';
    } else if (status === 429) {
      message = 'Too many requests. Please wait a minute and try again.';
    } else if (status >= 500) {
      request.log.error({ err: error }, 'console error');
      message = 'Something went wrong on our side; it has been logged.';
    }
    const heading =
      status === 403
        ? 'Not allowed'
        : status === 404
          ? 'Not found'
          : status === 429
            ? 'Slow down'
            : status >= 500
              ? 'Something went wrong'
              : 'Please check your request';
    return kit.send(request, reply, status, 'message', { title: heading, heading, message });
  });

  await app.register(signInRoutes, { kit });
  await app.register(accountRoutes, { kit });
  await app.register(incidentConsoleRoutes, { kit });
  await app.register(templateConsoleRoutes, { kit });
  await app.register(maintenanceConsoleRoutes, { kit });
  await app.register(signalConsoleRoutes, { kit });
  await app.register(deliveryConsoleRoutes, { kit });
  await app.register(componentConsoleRoutes, { kit });
  await app.register(subscriberConsoleRoutes, { kit, generateWebhookSecret: options.generateWebhookSecret });
  await app.register(tokenConsoleRoutes, { kit });
  await app.register(userConsoleRoutes, { kit });
  await app.register(auditConsoleRoutes, { kit });
}
