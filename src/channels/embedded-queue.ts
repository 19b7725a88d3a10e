import type { DeliveryBatch, Queue } from './channel.ts';

/** The part of a pino/Fastify logger the queue uses. */
export interface EmbeddedQueueLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface EmbeddedQueueOptions {
  /** Handlers running at once. Default 4. */
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
 * The in-process queue for the single-process mode: FIFO, at most `concurrency` handlers at
 * once, a failed batch requeued after a backoff. Nothing survives a restart: the delivery rows
 * do, and the sweeper republishes them.
 */
export function createEmbeddedQueue(options: EmbeddedQueueOptions = {}): Queue {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? ((failures: number) => Math.min(200 * 2 ** (failures - 1), 5_000));
  const schedule = options.schedule ?? ((fn: () => void, ms: number) => void setTimeout(fn, ms).unref());
  const log = options.log;

  const waiting: Entry[] = [];
  const inFlight = new Set<Promise<void>>();
  let handler: ((batch: DeliveryBatch) => Promise<void>) | null = null;
  let closed = false;

  const pump = () => {
    while (handler && !closed && inFlight.size < concurrency && waiting.length > 0) {
      run(handler, waiting.shift()!);
    }
  };

  const run = (handle: (batch: DeliveryBatch) => Promise<void>, entry: Entry) => {
    const running = (async () => {
      try {
        await handle({ deliveryIds: [...entry.batch.deliveryIds] });
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

  const retryLater = (entry: Entry, error: unknown) => {
    const failures = entry.failures + 1;
    if (failures >= maxAttempts) {
      log?.error({ err: error, deliveryIds: entry.batch.deliveryIds, attempts: failures }, 'Dropping a delivery batch after repeated failures; the sweeper will republish it');
      return;
    }
    const delay = backoffMs(failures);
    log?.warn({ err: error, deliveryIds: entry.batch.deliveryIds, attempt: failures, retryInMs: delay }, 'Delivery batch handler failed; retrying');
    schedule(() => {
      if (closed) return;
      waiting.push({ batch: entry.batch, failures });
      pump();
    }, delay);
  };

  return {
    kind: 'embedded',

    async publish(batches) {
      if (closed) throw new Error('The embedded queue is closed');
      for (const batch of batches) {
        // A copy: the caller may reuse its array.
        if (batch.deliveryIds.length > 0) waiting.push({ batch: { deliveryIds: [...batch.deliveryIds] }, failures: 0 });
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
          while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        })();
        return stopped;
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      handler = null;
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      if (waiting.length > 0) {
        log?.warn({ batches: waiting.length }, 'Embedded queue closed with batches still waiting; the sweeper will republish them');
        waiting.length = 0;
      }
    },
  };
}
