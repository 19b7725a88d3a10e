import type { FastifyBaseLogger } from 'fastify';
import type { HeartbeatDefinition } from '../config.ts';
import type { Exclusion } from '../domain/heartbeat/types.ts';
import type { ServiceContext } from '../services/context.ts';
import { evaluateHeartbeats } from '../services/heartbeats/evaluate-heartbeats.ts';
import { listUnresolved } from '../storage/incident-repository.ts';

/**
 * The detector tick: every few seconds (buckets close 5 s after their end), evaluates every
 * series. Retry policy: a failed tick is logged and the next one evaluates again; repeated or
 * early ticks are harmless, and a row lock per series keeps two instances from acting twice.
 */
export function startHeartbeatDetectorJob(options: {
  ctx: ServiceContext;
  metrics: HeartbeatDefinition[];
  timeZone: string;
  holidays: string[];
  publicUrl: string;
  intervalMs: number;
  log: FastifyBaseLogger;
}): () => Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running || options.metrics.length === 0) return;
    running = (async () => {
      // Maintenance in progress mutes new alarms (the drop is expected).
      const maintenance: Exclusion[] = (await listUnresolved(options.ctx.db, 'maintenance'))
        .filter((m) => m.status === 'in_progress' || m.status === 'verifying')
        .map((m) => ({ from: m.started_at.getTime(), to: m.scheduled_until.getTime() + 3_600_000, reason: 'maintenance' as const }));
      const result = await evaluateHeartbeats(options.ctx, options.metrics, {
        timeZone: options.timeZone,
        maintenance,
        holidays: options.holidays,
        publicUrl: options.publicUrl,
      });
      if (result.transitions.length > 0) options.log.warn({ transitions: result.transitions }, 'heartbeat detector acted');
    })()
      .catch((error) => options.log.error({ err: error }, 'heartbeat detector tick failed; retrying next tick'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
