import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { startMaintenanceJob } from '../jobs/maintenance-job.ts';

/** Background jobs of the worker role, started when the app is ready and stopped when it closes. */
export const jobsPlugin = fp(async (app: FastifyInstance) => {
  let stop: (() => Promise<void>) | null = null;
  app.addHook('onReady', async () => {
    stop = startMaintenanceJob({ ctx: app.serviceContext('system:scheduler'), intervalMs: app.config.env.LIFELINE_JOB_TICK_SECONDS * 1000, log: app.log });
  });
  app.addHook('onClose', async () => {
    if (stop) await stop();
  });
});
