import { laneOf, type DeliveryBatch, type DeliveryLane, type Queue } from './channel.ts';

/** The part of a pino/Fastify logger the queue uses. */
interface EmbeddedQueueLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface EmbeddedQueueOptions {
  /** Handlers running at once per lane (email, webhook). Default 4. */
  concurrency?: number;
  /** Handler runs per batch before it is dropped (the database sweeper republishes it). Default 5. */
  maxAttempts?: number;
  /** Pause before attempt n+1 after n failures. Default 200 ms doubling, at most 5 s. */
  backoffMs?: (failures: number) => number;
  /** Runs fn after ms; injectable so tests need not sleep. Default: an unref'd setTimeout. */
  schedule?: (fn: () => void, ms: number) => void;
  log?: EmbeddedQueueLog;
}

interface Entry {
  batch: DeliveryBatch;
  failures: number;
}

/**
 * The in-process queue for the single-process mode: FIFO per lane, at most `concurrency`
 * handlers at once in each lane, a failed batch requeued after a backoff. Nothing survives a restart: the delivery rows
 * do, and the sweeper republishes them.
 */
export function createEmbeddedQueue(options: EmbeddedQueueOptions = {}): Queue {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? ((failures: number) => Math.min(200 * 2 ** (failures - 1), 5_000));
  const schedule = options.schedule ?? ((fn: () => void, ms: number) => void setTimeout(fn, ms).unref());
  const log = options.log;

  const lanes: Record<DeliveryLane, { waiting: Entry[]; inFlight: Set<Promise<void>> }> = {
    email: { waiting: [], inFlight: new Set() },
    webhook: { waiting: [], inFlight: new Set() },
  };
  const allInFlight = () => [...lanes.email.inFlight, ...lanes.webhook.inFlight];
  let handler: ((batch: DeliveryBatch) => Promise<void>) | null = null;
  let closed = false;

  const pump = () => {
    for (const lane of Object.values(lanes)) {
      while (handler && !closed && lane.inFlight.size < concurrency && lane.waiting.length > 0) {
        run(handler, lane.waiting.shift()!, lane.inFlight);
      }
    }
  };

  const run = (handle: (batch: DeliveryBatch) => Promise<void>, entry: Entry, inFlight: Set<Promise<void>>) => {
    const running = (async () => {
      try {
        await handle({ ...entry.batch, deliveryIds: [...entry.batch.deliveryIds] });
      } catch (error) {
        retryLater(entry, error);
      }
    })();
    inFlight.add(running);
    void running.finally(() => {
      inFlight.delete(running);
      pump();
    });
  };
  const enqueue = (entry: Entry) => lanes[laneOf(entry.batch)].waiting.push(entry);

  const retryLater = (entry: Entry, error: unknown) => {
    const failures = entry.failures + 1;
    if (failures >= maxAttempts) {
      log?.error(
        { err: error, deliveryIds: entry.batch.deliveryIds, attempts: failures },
        'Dropping a delivery batch after repeated failures; the sweeper will republish it',
      );
      return;
    }
    const delay = backoffMs(failures);
    log?.warn({ err: error, deliveryIds: entry.batch.deliveryIds, attempt: failures, retryInMs: delay }, 'Delivery batch handler failed; retrying');
    schedule(() => {
      if (closed) return;
      enqueue({ batch: entry.batch, failures });
      pump();
    }, delay);
  };

  return {
    kind: 'embedded',

    async publish(batches) {
      if (closed) throw new Error('The embedded queue is closed');
      for (const batch of batches) {
        // A copy: the caller may reuse its array.
        if (batch.deliveryIds.length > 0) enqueue({ batch: { ...batch, deliveryIds: [...batch.deliveryIds] }, failures: 0 });
      }
      pump();
    },

    async consume(next) {
      if (closed) throw new Error('The embedded queue is closed');
      if (handler) throw new Error('The embedded queue already has a consumer');
      handler = next;
      pump();
      let stopped: Promise<void> | undefined;
      return () => {
        stopped ??= (async () => {
          if (handler === next) handler = null;
          // Retries scheduled meanwhile stay queued for the next consumer.
          for (let running = allInFlight(); running.length > 0; running = allInFlight()) await Promise.allSettled(running);
        })();
        return stopped;
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      handler = null;
      for (let running = allInFlight(); running.length > 0; running = allInFlight()) await Promise.allSettled(running);
      const left = lanes.email.waiting.length + lanes.webhook.waiting.length;
      if (left > 0) {
        log?.warn({ batches: left }, 'Embedded queue closed with batches still waiting; the sweeper will republish them');
        lanes.email.waiting.length = 0;
        lanes.webhook.waiting.length = 0;
      }
    },
  };
}
