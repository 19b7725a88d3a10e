import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEmbeddedQueue } from '../../src/channels/embedded-queue.ts';
import { createOutboxDispatcher, WEBHOOK_HEAD_START_MS } from '../../src/jobs/outbox-dispatcher-job.ts';
import { declareIncident } from '../../src/services/incidents/declare-incident.ts';
import { insertOutboxEvent } from '../../src/storage/audit-repository.ts';
import { insertAlertRecipient } from '../../src/storage/subscriber-repository.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/** The dispatcher expands a large audience in chunks, publishing as it goes, each subscriber once. */
describe('outbox dispatcher', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.db.query(
      `INSERT INTO subscriber (id, type, email, all_components, component_ids, source, confirmed_at, created_at, updated_at)
       SELECT 'sub' || lpad(i::text, 6, '0'), 'email', 'user' || i || '@example.org', true, '[]', 'import', $1, $1, $1
       FROM generate_series(1, 4500) AS i`,
      [t.clock.now()],
    );
    // A few webhook endpoints among them (ids spread through the table).
    await t.db.query(
      "UPDATE subscriber SET type = 'webhook', email = NULL, url = 'https://hooks.example.org/' || id, secret = 'whsec_x' WHERE id IN ('sub000010', 'sub002500', 'sub004400')",
    );
    // Not confirmed, suppressed, or only interested in another component: no delivery.
    await t.db.query("UPDATE subscriber SET confirmed_at = NULL WHERE id = 'sub000001'");
    await t.db.query("UPDATE subscriber SET suppressed_at = $1 WHERE id = 'sub000002'", [t.clock.now()]);
    await t.db.query(`UPDATE subscriber SET all_components = false, component_ids = $1 WHERE id = 'sub000003'`, [
      JSON.stringify([await t.componentId('eu-api')]),
    ]);
  });
  afterAll(() => t.close());

  it('creates one delivery per matching subscriber across chunks and publishes each once', async () => {
    const queue = createEmbeddedQueue();
    const published: number[] = [];
    const stop = await queue.consume(async (batch) => {
      published.push(...batch.deliveryIds);
    });
    const dispatcher = createOutboxDispatcher({ db: t.db, clock: t.clock, queue, log: t.app.log, claimLeaseMs: 300_000 });
    await declareIncident(t.app.serviceContext(labelledOperator('test')), { name: 'Big audience', body: 'b', components: { 'us-api': 'major_outage' } });
    await dispatcher.run();
    // The first 500 addresses and the 3 webhooks; the other addresses wait while the webhooks leave...
    await vi.waitFor(() => expect(published.length).toBe(503), { timeout: 5000, interval: 10 });
    await dispatcher.run();
    expect(published.length).toBe(503);
    // ...a webhook that failed and waits for its retry does not hold them; one on its first try does.
    await t.db.query("UPDATE delivery SET attempts = 1, next_attempt_at = $1 WHERE channel = 'webhook' AND subscriber_id = 'sub000010'", [
      new Date(t.clock.now().getTime() + 60_000),
    ]);
    await t.db.query("UPDATE delivery SET state = 'sent', attempts = 1 WHERE channel = 'webhook' AND subscriber_id = 'sub002500'");
    await dispatcher.run();
    expect(published.length).toBe(503);
    await t.db.query("UPDATE delivery SET state = 'sending', attempts = 1 WHERE channel = 'webhook' AND subscriber_id = 'sub004400'");
    await dispatcher.run();
    expect(published.length).toBe(503);
    await t.db.query("UPDATE delivery SET state = 'sent' WHERE channel = 'webhook' AND subscriber_id = 'sub004400'");
    await dispatcher.run();
    await vi.waitFor(() => expect(published.length).toBe(4497), { timeout: 5000, interval: 10 });
    expect(new Set(published).size).toBe(4497);
    const [{ n }] = await t.db.query<{ n: number }>('SELECT count(DISTINCT subscriber_id)::int AS n FROM delivery');
    expect(n).toBe(4497);
    expect(await t.db.query("SELECT 1 FROM delivery WHERE subscriber_id IN ('sub000001', 'sub000002', 'sub000003')")).toHaveLength(0);
    const [event] = await t.db.query<{ dispatched_at: Date | null }>("SELECT dispatched_at FROM outbox_event WHERE type = 'incident.created'");
    expect(event.dispatched_at).not.toBeNull();
    // Order: a first chunk of 500 addresses (the first emails leave at once), every webhook endpoint, the other addresses.
    const order = (await t.db.query<{ channel: string }>('SELECT channel FROM delivery ORDER BY id')).map((d) => d.channel);
    expect(order.slice(0, 500).every((c) => c === 'email')).toBe(true);
    expect(order.slice(500, 503)).toEqual(['webhook', 'webhook', 'webhook']);
    expect(order.slice(503).every((c) => c === 'email')).toBe(true);
    // Running again expands and publishes nothing more.
    await dispatcher.run();
    expect(published.length).toBe(4497);
    await stop();
    await queue.close();
  });

  it('takes a responder alert ahead of an older public fan-out, and keeps responders out of public notices', async () => {
    await insertAlertRecipient(t.db, {
      id: 'zz-oncall',
      type: 'email',
      address: 'oncall@example.org',
      metrics: ['messages-created'],
      secret: null,
      at: t.clock.now(),
    });
    const queue = createEmbeddedQueue({ concurrency: 1 });
    const published: number[][] = [];
    const dispatcher = createOutboxDispatcher({ db: t.db, clock: t.clock, queue, log: t.app.log, claimLeaseMs: 300_000 });
    await declareIncident(t.app.serviceContext(labelledOperator('test')), { name: 'Second big audience', body: 'b' });
    await insertOutboxEvent(t.db, { type: 'heartbeat.fired', payload: { metric: 'messages-created', region: 'eu' }, at: t.clock.now() });
    await dispatcher.run();
    // Nobody sends the webhooks here: the other addresses follow once the head start has passed.
    t.clock.advance(WEBHOOK_HEAD_START_MS);
    await dispatcher.run();
    const stop = await queue.consume(async (batch) => {
      published.push(batch.deliveryIds);
    });
    // 4,498 subscribers (this incident names no component, so the eu-api-only one hears too) + the on-call address.
    await vi.waitFor(() => expect(published.flat().length).toBe(4499), { timeout: 5000, interval: 10 });
    const [alert] = await t.db.query<{ id: number }>(
      "SELECT d.id::int AS id FROM delivery d JOIN outbox_event e ON e.id = d.event_id WHERE e.type = 'heartbeat.fired'",
    );
    expect(published[0]).toEqual([alert.id]);
    expect(
      await t.db.query("SELECT 1 FROM delivery d JOIN outbox_event e ON e.id = d.event_id WHERE e.type = 'incident.created' AND d.subscriber_id = 'zz-oncall'"),
    ).toHaveLength(0);
    await stop();
    await queue.close();
  });
});
