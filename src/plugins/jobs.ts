import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { heartbeatSeries } from '../config.ts';
import { SYSTEM_ACTORS } from '../domain/actor.ts';
import { startHeartbeatDetectorJob } from '../jobs/heartbeat-detector-job.ts';
import { startDemoHeartbeatsJob } from '../jobs/demo-heartbeats-job.ts';
import { startMaintenanceJob } from '../jobs/maintenance-job.ts';

/** Background jobs of the worker role, started when the app is ready and stopped when it closes. */
export const jobsPlugin = fp(async (app: FastifyInstance) => {
  const stops: (() => Promise<void>)[] = [];
  const start = async () => {
    if (app.config.env.LIFELINE_DEMO_HEARTBEATS) {
      app.log.warn('LIFELINE_DEMO_HEARTBEATS is on: generating demo heartbeat traffic');
      stops.push(startDemoHeartbeatsJob({ ctx: app.serviceContext(SYSTEM_ACTORS.demo), metrics: app.config.pageDefinition.heartbeats ?? [], log: app.log }));
    }
    stops.push(
      startMaintenanceJob({
        ctx: app.serviceContext(SYSTEM_ACTORS.scheduler),
        intervalMs: app.config.env.LIFELINE_JOB_TICK_SECONDS * 1000,
        series: heartbeatSeries(app.config.pageDefinition),
        log: app.log,
      }),
    );
    stops.push(
      startHeartbeatDetectorJob({
        ctx: app.serviceContext(SYSTEM_ACTORS.heartbeat),
        metrics: app.config.pageDefinition.heartbeats ?? [],
        timeZone: app.config.pageDefinition.page.time_zone ?? 'Etc/UTC',
        holidays: app.config.pageDefinition.holidays ?? [],
        publicUrl: app.config.publicUrl,
        intervalMs: app.config.env.LIFELINE_DETECTOR_TICK_SECONDS * 1000,
        log: app.log,
      }),
    );
  };
  app.addHook('onReady', () => app.afterDatabaseReady('scheduled jobs', start));
  app.addHook('onClose', async () => {
    await Promise.all(stops.map((stop) => stop()));
  });
});
