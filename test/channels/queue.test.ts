import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PubSub, v1 } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DeliveryBatch, Queue } from '../../src/channels/channel.ts';
import { createEmbeddedQueue } from '../../src/channels/embedded-queue.ts';
import { createPubSubQueue } from '../../src/channels/pubsub-queue.ts';
import { PubSubEmulatorMissing, startPubSubEmulator, type PubSubEmulator } from '../helpers/pubsub-emulator.ts';

/** Notified on every change, so tests wait for a condition instead of sleeping. */
function probe() {
  const waiters = new Set<() => void>();
  return {
    notify() {
      for (const check of [...waiters]) check();
    },
    until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
      if (condition()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!condition()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`Timed out waiting for ${what}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
  };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Lets callbacks already queued run (not a timed wait). */
async function settle(turns = 5) {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

function batches(count: number, start = 1): DeliveryBatch[] {
  return Array.from({ length: count }, (_, i) => ({ deliveryIds: [start + i * 2, start + i * 2 + 1] }));
}

const key = (batch: DeliveryBatch) => batch.deliveryIds.join(',');

// The emulator: from the global setup when it runs one, else one for this file.
const provided = inject('pubsubEmulatorHost');
let ownEmulator: PubSubEmulator | null = null;
let emulatorHost: string | null = null;
let projectId = 'lifeline-test';
let skipReason = '';
if (provided !== undefined) {
  emulatorHost = provided;
  projectId = inject('pubsubEmulatorProjectId');
  skipReason = inject('pubsubEmulatorSkipReason');
} else if (process.env.PUBSUB_EMULATOR_HOST) {
  emulatorHost = process.env.PUBSUB_EMULATOR_HOST;
} else {
  try {
    ownEmulator = await startPubSubEmulator();
    emulatorHost = ownEmulator.host;
    projectId = ownEmulator.projectId;
  } catch (error) {
    if (!(error instanceof PubSubEmulatorMissing)) throw error;
    skipReason = error.message;
    console.warn(`Skipping the Pub/Sub emulator tests: ${skipReason}`);
  }
}

describe.skipIf(!emulatorHost)(emulatorHost ? 'Pub/Sub queue (emulator)' : `Pub/Sub queue (skipped: ${skipReason})`, () => {
  const savedEnv = { host: process.env.PUBSUB_EMULATOR_HOST, metadata: process.env.METADATA_SERVER_DETECTION };
  let admin: PubSub;
  let subscriber: v1.SubscriberClient;
  const queues: Queue[] = [];

  beforeAll(async () => {
    process.env.PUBSUB_EMULATOR_HOST = emulatorHost!;
    // Otherwise google-auth-library probes the GCE metadata server.
    process.env.METADATA_SERVER_DETECTION = 'none';
    admin = new PubSub({ projectId });
    subscriber = new v1.SubscriberClient((await admin.getClientConfig()) as ConstructorParameters<typeof v1.SubscriberClient>[0]);
  });

  afterAll(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    await subscriber?.close();
    await admin?.close();
    await ownEmulator?.stop();
    for (const [name, value] of [
      ['PUBSUB_EMULATOR_HOST', savedEnv.host],
      ['METADATA_SERVER_DETECTION', savedEnv.metadata],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  function names() {
    const suffix = randomBytes(4).toString('hex');
    return { topic: `deliveries-${suffix}`, subscription: `delivery-workers-${suffix}` };
  }

  async function open(options: { maxInFlight?: number; createIfMissing?: boolean } = {}) {
    const named = names();
    const queue = await createPubSubQueue({ projectId, ...named, createIfMissing: options.createIfMissing ?? true, maxInFlight: options.maxInFlight });
    queues.push(queue);
    return { queue, ...named };
  }

  /** Messages still waiting on the subscription (pulled, so call it once consumers stopped). */
  async function backlog(subscription: string): Promise<number> {
    const [response] = await subscriber.pull(
      { subscription: `projects/${projectId}/subscriptions/${subscription}`, maxMessages: 100, returnImmediately: true },
      { timeout: 5_000 },
    );
    return response.receivedMessages?.length ?? 0;
  }

  it('creates the topic and the subscription when missing, and tolerates a concurrent creation', async () => {
    const { topic, subscription } = names();
    expect((await admin.topic(topic).exists())[0]).toBe(false);
    expect((await admin.subscription(subscription).exists())[0]).toBe(false);

    // Two workers starting at once both create: one gets ALREADY_EXISTS, and that is fine.
    const pair = await Promise.all([0, 1].map(() => createPubSubQueue({ projectId, topic, subscription, createIfMissing: true })));
    queues.push(...pair);
    expect((await admin.topic(topic).exists())[0]).toBe(true);
    const [metadata] = await admin.subscription(subscription).getMetadata();
    expect(metadata.topic).toBe(`projects/${projectId}/topics/${topic}`);
    expect(metadata.ackDeadlineSeconds).toBe(60);
  });

  it('creates nothing when createIfMissing is off (production provisions)', async () => {
    const { queue, topic } = await open({ createIfMissing: false });
    await expect(queue.publish(batches(1))).rejects.toMatchObject({ code: 5 }); // NOT_FOUND
    expect((await admin.topic(topic).exists())[0]).toBe(false);
  });

  it('rejects invalid topic and subscription names', async () => {
    await expect(createPubSubQueue({ projectId, topic: '1abc', subscription: 'valid-name', createIfMissing: false })).rejects.toThrow(/starting with a letter/);
    await expect(createPubSubQueue({ projectId, topic: 'valid-name', subscription: 'ab', createIfMissing: false })).rejects.toThrow(/3 to 255/);
  });

  it('delivers every published batch to the handler once, and acks it', async () => {
    const { queue, subscription } = await open();
    const sent = batches(40);
    const seen: string[] = [];
    const changed = probe();
    const stop = await queue.consume(async (batch) => {
      seen.push(key(batch));
      changed.notify();
    });
    await queue.publish(sent.slice(0, 25));
    await queue.publish(sent.slice(25));
    await changed.until(() => seen.length >= sent.length, 'all batches');
    await stop();

    expect([...seen].sort()).toEqual(sent.map(key).sort());
    expect(await backlog(subscription)).toBe(0);
  });

  it('publishes more batches in one call than the publisher flow control holds (1000)', async () => {
    const { queue } = await open({ maxInFlight: 200 });
    const sent = batches(1_200);
    const seen = new Set<string>();
    const changed = probe();
    const stop = await queue.consume(async (batch) => {
      seen.add(key(batch));
      changed.notify();
    });
    await queue.publish(sent);
    await changed.until(() => seen.size === sent.length, 'all batches', 20_000);
    await stop();
  });

  it('runs at most maxInFlight handlers at once', async () => {
    const { queue } = await open({ maxInFlight: 3 });
    await queue.publish(batches(12));
    let running = 0;
    let most = 0;
    let done = 0;
    const changed = probe();
    const release = gate();
    const stop = await queue.consume(async () => {
      running++;
      most = Math.max(most, running);
      changed.notify();
      await release.opened;
      running--;
      done++;
      changed.notify();
    });
    await changed.until(() => running === 3, 'three handlers running');
    await settle();
    expect(running).toBe(3);
    release.open();
    await changed.until(() => done === 12, 'all batches');
    await stop();
    expect(most).toBe(3);
  });

  it('carries webhook batches in their own lane: handled while every email handler is busy', async () => {
    const { queue, topic, subscription } = await open({ maxInFlight: 1 });
    expect((await admin.topic(`${topic}-webhooks`).exists())[0]).toBe(true);
    const release = gate();
    const seen: DeliveryBatch[] = [];
    const changed = probe();
    const stop = await queue.consume(async (batch) => {
      seen.push(batch);
      changed.notify();
      if (batch.lane !== 'webhook') await release.opened;
    });
    await queue.publish(batches(3));
    await changed.until(() => seen.length === 1, 'the first email batch');
    await queue.publish([{ deliveryIds: [901, 902], lane: 'webhook' }]);
    await changed.until(() => seen.some((b) => b.lane === 'webhook'), 'the webhook batch while the email lane is blocked');
    expect(seen.filter((b) => b.lane !== 'webhook')).toHaveLength(1);
    expect(seen.find((b) => b.lane === 'webhook')).toEqual({ deliveryIds: [901, 902], lane: 'webhook' });
    release.open();
    await changed.until(() => seen.length === 4, 'all batches');
    await stop();
    expect(await backlog(subscription)).toBe(0);
    expect(await backlog(`${subscription}-webhooks`)).toBe(0);
  });

  it('redelivers a batch whose handler threw, then acks it after one successful handling', async () => {
    const { queue, subscription } = await open();
    const calls: Array<'failed' | 'handled'> = [];
    const changed = probe();
    const stop = await queue.consume(async (batch) => {
      expect(batch).toEqual({ deliveryIds: [7, 8] });
      const failing = calls.length === 0;
      calls.push(failing ? 'failed' : 'handled');
      changed.notify();
      if (failing) throw new Error('database unavailable');
    });
    await queue.publish([{ deliveryIds: [7, 8] }]);
    await changed.until(() => calls.includes('handled'), 'the redelivery');
    await stop();

    expect(calls).toEqual(['failed', 'handled']);
    expect(await backlog(subscription)).toBe(0);
  });

  it('tolerates the same message arriving twice when the handler is idempotent', async () => {
    const { queue, subscription } = await open();
    // Stands in for the delivery table's claim: a redelivered batch finds its rows taken.
    const claimed = new Set<number>();
    const sends: number[] = [];
    let invocations = 0;
    const changed = probe();
    const stop = await queue.consume(async (batch) => {
      invocations++;
      for (const id of batch.deliveryIds) {
        if (claimed.has(id)) continue;
        claimed.add(id);
        sends.push(id);
      }
      changed.notify();
      // The worker dies after sending, before the ack: Pub/Sub delivers the message again.
      if (invocations === 1) throw new Error('crashed before ack');
    });
    await queue.publish([{ deliveryIds: [21, 22, 23] }]);
    await changed.until(() => invocations === 2, 'the duplicate delivery');
    await stop();

    expect(invocations).toBe(2);
    expect(sends).toEqual([21, 22, 23]);
    expect(await backlog(subscription)).toBe(0);
  });

  it('stop() waits for handlers in flight and acks them; later batches wait for the next consumer', async () => {
    const { queue, subscription } = await open();
    const release = gate();
    const changed = probe();
    let started = 0;
    let finished = 0;
    const stop = await queue.consume(async () => {
      started++;
      changed.notify();
      await release.opened;
      finished++;
    });
    await queue.publish([{ deliveryIds: [31] }]);
    await changed.until(() => started === 1, 'the handler to start');

    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    release.open();
    await stopping;
    expect(finished).toBe(1);
    expect(await backlog(subscription)).toBe(0);

    // Published while nobody consumes: kept by Pub/Sub for the next consumer.
    await queue.publish([{ deliveryIds: [32] }]);
    const later: string[] = [];
    const stopAgain = await queue.consume(async (batch) => {
      later.push(key(batch));
      changed.notify();
    });
    await changed.until(() => later.length === 1, 'the next consumer');
    await stopAgain();
    expect(later).toEqual(['32']);
  });

  it('acks and drops a malformed message instead of redelivering it forever', async () => {
    const { queue, topic, subscription } = await open();
    const seen: string[] = [];
    const changed = probe();
    const stop = await queue.consume(async (batch) => {
      seen.push(key(batch));
      changed.notify();
    });
    await admin.topic(topic).publishMessage({ data: Buffer.from('not json') });
    await queue.publish([{ deliveryIds: [41] }]);
    await changed.until(() => seen.length === 1, 'the valid batch');
    await stop();
    expect(seen).toEqual(['41']);
    expect(await backlog(subscription)).toBe(0);
  });

  it('splits a batch too large for one message', async () => {
    const { queue } = await open();
    const ids = Array.from({ length: 20_000 }, (_, i) => 1_000_000_000 + i);
    const seen: number[] = [];
    let messages = 0;
    const changed = probe();
    const stop = await queue.consume(async (batch) => {
      messages++;
      seen.push(...batch.deliveryIds);
      changed.notify();
    });
    await queue.publish([{ deliveryIds: ids }]);
    await changed.until(() => seen.length >= ids.length, 'every id');
    await stop();
    expect(messages).toBeGreaterThan(1);
    expect(seen.sort((a, b) => a - b)).toEqual(ids);
  });

  it('close() flushes and leaves no handle open: a process using the queue exits by itself', async () => {
    const { topic, subscription } = names();
    const moduleUrl = new URL('../../src/channels/pubsub-queue.ts', import.meta.url).href;
    const script = `
      import { createPubSubQueue } from ${JSON.stringify(moduleUrl)};
      const queue = await createPubSubQueue({ projectId: ${JSON.stringify(projectId)}, topic: ${JSON.stringify(topic)}, subscription: ${JSON.stringify(subscription)}, createIfMissing: true });
      let handled;
      const done = new Promise((resolve) => (handled = resolve));
      await queue.consume(async (batch) => handled(batch));
      await queue.publish([{ deliveryIds: [51] }]);
      console.log(JSON.stringify(await done));
      await queue.close();
    `;
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, PUBSUB_EMULATOR_HOST: emulatorHost!, METADATA_SERVER_DETECTION: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timeout);
    expect(output).toContain('{"deliveryIds":[51]}');
    expect(code, `the process did not exit by itself:\n${output}`).toBe(0);
  });
});

describe('embedded queue', () => {
  function manualSchedule() {
    const pending: Array<{ fn: () => void; ms: number }> = [];
    return {
      pending,
      schedule: (fn: () => void, ms: number) => void pending.push({ fn, ms }),
      runAll() {
        for (const { fn } of pending.splice(0)) fn();
      },
    };
  }

  function recordingLog() {
    const entries: Array<{ level: 'warn' | 'error'; obj: object; msg: string }> = [];
    return {
      entries,
      log: {
        warn: (obj: object, msg: string) => void entries.push({ level: 'warn', obj, msg }),
        error: (obj: object, msg: string) => void entries.push({ level: 'error', obj, msg }),
      },
    };
  }

  it('buffers what is published before consume, and hands out every batch in order', async () => {
    const queue = createEmbeddedQueue({ concurrency: 1 });
    expect(queue.kind).toBe('embedded');
    const sent = batches(5);
    await queue.publish(sent.slice(0, 3));
    const seen: string[] = [];
    const changed = probe();
    const stop = await queue.consume(async (batch) => {
      seen.push(key(batch));
      changed.notify();
    });
    await queue.publish(sent.slice(3));
    await changed.until(() => seen.length === 5, 'all batches');
    await stop();
    await queue.close();
    expect(seen).toEqual(sent.map(key));
  });

  it('runs webhook batches in their own lane, so they never wait behind email batches', async () => {
    const queue = createEmbeddedQueue({ concurrency: 1 });
    const release = gate();
    const seen: DeliveryBatch[] = [];
    const changed = probe();
    const stop = await queue.consume(async (batch) => {
      seen.push(batch);
      changed.notify();
      if (batch.lane !== 'webhook') await release.opened;
    });
    await queue.publish([...batches(3), { deliveryIds: [901], lane: 'webhook' }, { deliveryIds: [903], lane: 'webhook' }]);
    await changed.until(() => seen.filter((b) => b.lane === 'webhook').length === 2, 'both webhook batches while the email lane is blocked');
    expect(seen.map(key)).toEqual(['1,2', '901', '903']);
    release.open();
    await changed.until(() => seen.length === 5, 'all batches');
    await stop();
    await queue.close();
  });

  it('runs at most `concurrency` handlers at once (default 4)', async () => {
    for (const [options, limit] of [
      [{ concurrency: 2 }, 2],
      [{}, 4],
    ] as const) {
      const queue = createEmbeddedQueue(options);
      let running = 0;
      let most = 0;
      let done = 0;
      const changed = probe();
      const release = gate();
      const stop = await queue.consume(async () => {
        running++;
        most = Math.max(most, running);
        changed.notify();
        await release.opened;
        running--;
        done++;
        changed.notify();
      });
      await queue.publish(batches(10));
      await changed.until(() => running === limit, `${limit} running`);
      await settle();
      expect(running).toBe(limit);
      release.open();
      await changed.until(() => done === 10, 'all batches');
      await stop();
      await queue.close();
      expect(most).toBe(limit);
    }
  });

  it('retries a batch whose handler threw after a backoff, then drops it after maxAttempts', async () => {
    const timers = manualSchedule();
    const { entries, log } = recordingLog();
    const queue = createEmbeddedQueue({ schedule: timers.schedule, maxAttempts: 3, log });
    const attempts = new Map<string, number>();
    const changed = probe();
    const stop = await queue.consume(async (batch) => {
      const count = (attempts.get(key(batch)) ?? 0) + 1;
      attempts.set(key(batch), count);
      changed.notify();
      // 1,2 fails once then succeeds; 3,4 always fails.
      if (key(batch) === '3,4' || count === 1) throw new Error('database unavailable');
    });
    await queue.publish(batches(2));
    await changed.until(() => timers.pending.length === 2, 'two retries scheduled');
    expect(timers.pending.map((timer) => timer.ms)).toEqual([200, 200]);

    timers.runAll();
    await changed.until(() => attempts.get('1,2') === 2 && attempts.get('3,4') === 2, 'second attempts');
    await changed.until(() => timers.pending.length === 1, 'one more retry');
    expect(timers.pending[0].ms).toBe(400);

    timers.runAll();
    await changed.until(() => attempts.get('3,4') === 3, 'the last attempt');
    await stop();
    expect(attempts.get('1,2')).toBe(2);
    expect(timers.pending).toEqual([]);
    expect(entries.filter((entry) => entry.level === 'warn')).toHaveLength(3);
    expect(entries.filter((entry) => entry.level === 'error')).toEqual([
      { level: 'error', obj: expect.objectContaining({ deliveryIds: [3, 4], attempts: 3 }), msg: expect.stringMatching(/sweeper/) },
    ]);
    await queue.close();
  });

  it('treats a handler that throws synchronously like one that rejects', async () => {
    const timers = manualSchedule();
    const queue = createEmbeddedQueue({ schedule: timers.schedule });
    let calls = 0;
    const changed = probe();
    const stop = await queue.consume(((batch: DeliveryBatch) => {
      calls++;
      changed.notify();
      if (calls === 1) throw new Error(`sync failure for ${key(batch)}`);
      return Promise.resolve();
    }) as (batch: DeliveryBatch) => Promise<void>);
    await queue.publish(batches(1));
    await changed.until(() => timers.pending.length === 1, 'a retry');
    timers.runAll();
    await changed.until(() => calls === 2, 'the retry');
    await stop();
    await queue.close();
  });

  it('stop() waits for handlers in flight; batches published afterwards wait for the next consumer', async () => {
    const queue = createEmbeddedQueue({ concurrency: 2 });
    const release = gate();
    let started = 0;
    let finished = 0;
    const changed = probe();
    const stop = await queue.consume(async () => {
      started++;
      changed.notify();
      await release.opened;
      finished++;
    });
    await queue.publish(batches(2));
    await changed.until(() => started === 2, 'both handlers');

    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    release.open();
    await stopping;
    expect(finished).toBe(2);

    await queue.publish(batches(1, 100));
    await settle();
    expect(started).toBe(2);
    const later: string[] = [];
    const stopAgain = await queue.consume(async (batch) => {
      later.push(key(batch));
      changed.notify();
    });
    await changed.until(() => later.length === 1, 'the next consumer');
    await stopAgain();
    await queue.close();
    expect(later).toEqual(['100,101']);
  });

  it('close() waits for handlers, logs what it drops, and refuses later use', async () => {
    const { entries, log } = recordingLog();
    const queue = createEmbeddedQueue({ concurrency: 1, log });
    const release = gate();
    const changed = probe();
    let finished = 0;
    await queue.consume(async () => {
      changed.notify();
      await release.opened;
      finished++;
    });
    await queue.publish(batches(3));
    await settle();
    const closing = queue.close();
    release.open();
    await closing;
    expect(finished).toBe(1);
    expect(entries).toEqual([{ level: 'warn', obj: { batches: 2 }, msg: expect.stringMatching(/sweeper/) }]);
    await expect(queue.publish(batches(1))).rejects.toThrow(/closed/);
    await expect(queue.consume(async () => {})).rejects.toThrow(/closed/);
  });

  it('allows one consumer at a time', async () => {
    const queue = createEmbeddedQueue();
    const stop = await queue.consume(async () => {});
    await expect(queue.consume(async () => {})).rejects.toThrow(/already has a consumer/);
    await stop();
    await (await queue.consume(async () => {}))();
    await queue.close();
  });
});
