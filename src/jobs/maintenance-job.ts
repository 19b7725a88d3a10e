import type { FastifyBaseLogger } from 'fastify';
import type { ServiceContext } from '../services/context.ts';
import { runDueMaintenances } from '../services/maintenances/run-due-maintenances.ts';
import { sendMaintenanceReminders } from '../services/maintenances/send-maintenance-reminders.ts';
import { deleteExpiredIdempotencyKeys } from '../storage/idempotency-repository.ts';
import { enforceHeartbeatRetention, rollUpHeartbeats } from '../storage/heartbeat-repository.ts';

/** A full scan for the points of series no longer declared is rare: once an hour. */
const FULL_RETENTION_EVERY_MS = 3_600_000;

/**
 * Ticks on an interval: reminds subscribers of maintenances starting soon, starts and completes
 * maintenances that are due, rolls the declared heartbeat series up (re-rolling the last 2 hours,
 * so late pushes count; all 48 raw hours on the first tick) and enforces their retention, and
 * drops idempotency keys older than a day. Retry policy: none needed, the next
 * tick retries.
 */
export function startMaintenanceJob(options: {
  ctx: ServiceContext;
  intervalMs: number;
  series: { metric: string; region: string }[];
  log: FastifyBaseLogger;
}): () => Promise<void> {
  let running: Promise<void> | null = null;
  let fullRetentionAt = 0;
  let rolledAll = false;
  const tick = () => {
    if (running) return;
    running = (async () => {
      const reminded = await sendMaintenanceReminders(options.ctx);
      if (reminded.length > 0) options.log.info({ reminded }, 'maintenance reminders queued');
      const moved = await runDueMaintenances(options.ctx);
      if (moved.started.length + moved.completed.length > 0) options.log.info(moved, 'maintenance windows moved');
      const now = options.ctx.clock.now();
      await deleteExpiredIdempotencyKeys(options.ctx.db, new Date(now.getTime() - 86_400_000));
      // The first tick after a start rolls up everything raw (48 h): buckets pushed while this
      // process was down, or imported, would otherwise never reach the roll-ups the 7-day chart reads.
      const back = rolledAll ? 2 * 3_600_000 : 48 * 3_600_000;
      await rollUpHeartbeats(options.ctx.db, { from: new Date(now.getTime() - back), to: now }, options.series);
      rolledAll = true;
      const full = now.getTime() - fullRetentionAt >= FULL_RETENTION_EVERY_MS;
      await enforceHeartbeatRetention(options.ctx.db, now, full ? 'all' : options.series);
      if (full) fullRetentionAt = now.getTime();
    })()
      .catch((error) => options.log.warn({ err: error }, 'maintenance job tick failed; retrying next tick'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  tick();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
