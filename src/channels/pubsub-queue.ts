import { Duration, PubSub, type Message, type Subscription, type Topic } from '@google-cloud/pubsub';
import { laneOf, type DeliveryBatch, type DeliveryLane, type Queue } from './channel.ts';

/** The part of a pino/Fastify logger the queue uses. */
export interface PubSubQueueLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PubSubQueueOptions {
  projectId: string;
  /** Topic and subscription of the email lane; the webhook lane uses the same names + `-webhooks`. */
  topic: string;
  subscription: string;
  /** Create the topic and subscription when absent (emulator and dev; production provisions them). */
  createIfMissing: boolean;
  /** Batches handled at once by one consumer, per lane (client-side flow control). Default 8. */
  maxInFlight?: number;
  log?: PubSubQueueLog;
}

/** Our own cap on one message (Pub/Sub allows 10 MB): a bigger batch is split. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** The ack deadline we ask for; the client keeps extending it while a handler runs. */
export const ACK_DEADLINE_SECONDS = 60;

const ALREADY_EXISTS = 6;
const NAME = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

export const WEBHOOK_LANE_SUFFIX = '-webhooks';

/**
 * The Google Cloud Pub/Sub queue: per lane (email, webhook) one topic of delivery batches and one
 * pull subscription shared by all workers, with its own flow control, so webhooks never wait
 * behind a large email fan-out. A resolved publish means Pub/Sub stored every message; a batch is
 * acked only after its handler resolved, and nacked (redelivered) when it throws.
 */
export async function createPubSubQueue(options: PubSubQueueOptions): Promise<Queue> {
  const names: Record<DeliveryLane, { topic: string; subscription: string }> = {
    email: { topic: options.topic, subscription: options.subscription },
    webhook: { topic: options.topic + WEBHOOK_LANE_SUFFIX, subscription: options.subscription + WEBHOOK_LANE_SUFFIX },
  };
  for (const [what, name] of [
    ['topic', options.topic],
    ['subscription', options.subscription],
    ['topic', names.webhook.topic],
    ['subscription', names.webhook.subscription],
  ] as const) {
    if (!NAME.test(name) || name.startsWith('goog')) {
      throw new Error(`Pub/Sub ${what} name "${name}" is invalid: 3 to 255 characters, starting with a letter, not "goog"`);
    }
  }
  const maxInFlight = options.maxInFlight ?? 8;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new Error(`maxInFlight must be a positive integer, got ${maxInFlight}`);
  const log = options.log ?? silentLog;

  // Reads PUBSUB_EMULATOR_HOST by itself.
  const pubsub = new PubSub({ projectId: options.projectId });
  const topicOf = (name: string): Topic =>
    pubsub.topic(name, {
      // Small batches sent within 10 ms: low latency, and fewer requests under bursts.
      batching: { maxMessages: 100, maxBytes: 1024 * 1024, maxMilliseconds: 10 },
      // Bounds what one process keeps waiting in memory when Pub/Sub is slow; publish() waits.
      flowControlOptions: { maxOutstandingMessages: 1000, maxOutstandingBytes: 16 * 1024 * 1024 },
    });
  const topics: Record<DeliveryLane, Topic> = { email: topicOf(names.email.topic), webhook: topicOf(names.webhook.topic) };

  try {
    if (options.createIfMissing) {
      for (const lane of ['email', 'webhook'] as const) await ensureExists(pubsub, topics[lane], names[lane].subscription, log);
    }
  } catch (error) {
    await pubsub.close().catch(() => {});
    throw error;
  }

  const consumers = new Set<() => Promise<void>>();
  let closed = false;

  return {
    kind: 'pubsub',

    async publish(batches) {
      if (closed) throw new Error('The Pub/Sub queue is closed');
      // One flow-controlled publisher per lane and call, so all() waits for exactly this call's messages.
      const publishers = { email: topics.email.flowControlled(), webhook: topics.webhook.flowControlled() };
      for (const batch of batches) {
        const publisher = publishers[laneOf(batch)];
        for (const data of encode(batch)) {
          // Settle our own publishes before waiting for room, so none rejects with nobody listening.
          if (publisher.wouldExceed({ data })) await publisher.all();
          const wait = publisher.publish({ data });
          if (wait) await wait;
        }
      }
      await Promise.all([publishers.email.all(), publishers.webhook.all()]);
    },

    async consume(handler) {
      if (closed) throw new Error('The Pub/Sub queue is closed');
      const stops = await Promise.all((['email', 'webhook'] as const).map((lane) => consumeLane(lane, handler)));
      return () => Promise.all(stops.map((stop) => stop())).then(() => undefined);
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...consumers].map((stop) => stop()));
      await Promise.all([topics.email.flush(), topics.webhook.flush()]);
      await pubsub.close();
    },
  };

  async function consumeLane(lane: DeliveryLane, handler: (batch: DeliveryBatch) => Promise<void>): Promise<() => Promise<void>> {
    const subscriptionName = names[lane].subscription;
    const subscription: Subscription = pubsub.subscription(subscriptionName, {
      // Hold at most maxInFlight messages, so other workers get the rest.
      flowControl: { maxMessages: maxInFlight, allowExcessMessages: false },
      streamingOptions: { maxStreams: 1 },
      // The client frees a flow-control slot only once the batch's ack has been flushed, and it
      // flushes acks every 100 ms by default: a worker with batches waiting sat idle in 15 of 62
      // one-second samples of bench:fanout; with 10 ms, in none.
      batching: { maxMilliseconds: 10 },
      // The client extends leases while handlers run; a crashed worker's batches return within a minute.
      minAckDeadline: Duration.from({ seconds: ACK_DEADLINE_SECONDS }),
      maxAckDeadline: Duration.from({ seconds: 600 }),
      // Past this a handler is taken as stuck and the batch goes to another worker (handlers are idempotent).
      maxExtensionTime: Duration.from({ minutes: 15 }),
    });
    const inFlight = new Set<Promise<void>>();
    let stopping = false;
    let stopped: Promise<void> | undefined;

    const onMessage = (message: Message) => {
      // While stopping, leave it unacked: close() nacks it for another worker at once.
      if (stopping) return;
      const batch = decode(message.data, lane);
      if (!batch) {
        // Can never succeed; the sweeper republishes whatever rows it named.
        log.error({ messageId: message.id }, 'Dropping a malformed Pub/Sub delivery batch');
        message.ack();
        return;
      }
      const run = (async () => {
        try {
          await handler(batch);
        } catch (error) {
          log.warn({ err: error, messageId: message.id, attempt: message.deliveryAttempt }, 'Delivery batch handler failed; Pub/Sub will redeliver');
          message.nack();
          return;
        }
        message.ack();
      })();
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    };
    const onError = (error: Error) => {
      log.error({ err: error, subscription: subscriptionName }, 'Pub/Sub subscription error');
    };
    const onClose = () => {
      if (!stopping) log.error({ subscription: subscriptionName }, 'Pub/Sub subscription closed unexpectedly; no longer consuming');
    };
    subscription.on('message', onMessage);
    subscription.on('error', onError);
    subscription.on('close', onClose);

    const stop = () => {
      stopped ??= (async () => {
        stopping = true;
        await Promise.allSettled([...inFlight]);
        // Flushes acks and nacks, and nacks anything received but not handled.
        await subscription.close();
        subscription.removeListener('message', onMessage);
        subscription.removeListener('close', onClose);
        subscription.removeListener('error', onError);
        consumers.delete(stop);
      })();
      return stopped;
    };
    consumers.add(stop);
    return stop;
  }
}

async function ensureExists(pubsub: PubSub, topic: Topic, subscription: string, log: PubSubQueueLog): Promise<void> {
  const [topicExists] = await topic.exists();
  if (!topicExists) {
    log.info({ topic: topic.name }, 'Creating the Pub/Sub topic');
    await ignoreAlreadyExists(pubsub.createTopic(topic.name));
  }
  const [subscriptionExists] = await topic.subscription(subscription).exists();
  if (!subscriptionExists) {
    log.info({ subscription }, 'Creating the Pub/Sub subscription');
    await ignoreAlreadyExists(
      topic.createSubscription(subscription, {
        ackDeadlineSeconds: ACK_DEADLINE_SECONDS,
        // Nacked batches come back after a pause, not in a hot loop (e.g. while the database is down).
        retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 60 } },
      }),
    );
  }
}

/** Another process creating the same resource at the same moment is fine. */
async function ignoreAlreadyExists(creating: Promise<unknown>): Promise<void> {
  try {
    await creating;
  } catch (error) {
    if ((error as { code?: unknown }).code !== ALREADY_EXISTS) throw error;
  }
}

/** JSON `{deliveryIds}`, split in halves until each message fits MAX_MESSAGE_BYTES. */
function encode(batch: DeliveryBatch): Buffer[] {
  if (batch.deliveryIds.length === 0) return [];
  const data = Buffer.from(JSON.stringify({ deliveryIds: batch.deliveryIds }));
  if (data.length <= MAX_MESSAGE_BYTES || batch.deliveryIds.length === 1) return [data];
  const half = Math.ceil(batch.deliveryIds.length / 2);
  return [...encode({ deliveryIds: batch.deliveryIds.slice(0, half) }), ...encode({ deliveryIds: batch.deliveryIds.slice(half) })];
}

function decode(data: Buffer, lane: DeliveryLane): DeliveryBatch | null {
  try {
    const parsed = JSON.parse(data.toString('utf8')) as { deliveryIds?: unknown };
    const ids = parsed?.deliveryIds;
    if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id) && id > 0)) return null;
    return lane === 'webhook' ? { deliveryIds: ids as number[], lane } : { deliveryIds: ids as number[] };
  } catch {
    return null;
  }
}

const silentLog: PubSubQueueLog = { info() {}, warn() {}, error() {} };
