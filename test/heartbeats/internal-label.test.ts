import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledOperator } from '../../src/domain/actor.ts';
import { validatePageDefinition } from '../../src/config.ts';
import { evaluateHeartbeats } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { dismissHeartbeatNotice } from '../../src/services/incidents/dismiss-heartbeat-notice.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';

/**
 * A series marked `public: false` is internal: its automatic notice is still public (page,
 * summary.json, feeds, notifications), so it names the region only, never the series' label.
 */
const LABEL = 'Ledger Replication Lag';
const definition = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [{ key: 'ledger-sync', label: LABEL, bucket_seconds: 10, regions: ['eu', 'us'], public: false }],
});
const PUBLIC_DOCUMENTS = ['/', '/api/v2/summary.json', '/api/v2/incidents.json', '/history.rss', '/history.atom'];

describe('the automatic notice of an internal heartbeat series', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ definition });
    // Three hours of steady traffic in both regions, then nothing.
    await t.db.query(
      `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at)
       SELECT 'ledger-sync', r, b, 1000, b FROM unnest(ARRAY['eu', 'us']) AS r,
         generate_series($1::timestamptz - interval '3 hours', $1::timestamptz - interval '10 seconds', interval '10 seconds') AS b`,
      [t.clock.now()],
    );
  });
  afterAll(() => t.close());

  const ctx = () => t.app.serviceContext(labelledOperator('system:heartbeat'));
  const tick = () => evaluateHeartbeats(ctx(), definition.heartbeats ?? [], { timeZone: 'UTC', maintenance: [] });
  const published = async () => {
    await t.settle();
    const bodies = [];
    for (const url of PUBLIC_DOCUMENTS) bodies.push((await t.app.inject({ method: 'GET', url })).body);
    return bodies.join('\n');
  };

  it('names the region only when it opens, and when a responder dismisses it', async () => {
    let fired: string[] = [];
    for (let i = 0; i < 12 && fired.length < 2; i++) {
      t.clock.advance(5_000);
      fired = [...fired, ...(await tick()).transitions.filter((x) => x.startsWith('fired:'))];
    }
    expect(fired.sort()).toEqual(['fired:ledger-sync:eu', 'fired:ledger-sync:us']);
    const text = await published();
    expect(text).toContain('Reduced activity: EU');
    expect(text).toMatch(/no data from EU since/);
    expect(text).not.toMatch(/ledger/i);

    const summary = (await t.app.inject({ method: 'GET', url: '/api/v2/summary.json' })).json();
    const us = summary.incidents.find((i: { name: string }) => i.name === 'Reduced activity: US');
    await dismissHeartbeatNotice(t.app.serviceContext(labelledOperator('responder')), us.id, {}, definition.heartbeats ?? []);
    const after = await published();
    expect(after).toContain('False alarm: a responder checked and activity in US');
    expect(after).not.toMatch(/ledger/i);
  });

  it('names the region only when it closes', async () => {
    let recovered = false;
    for (let i = 0; i < 20 && !recovered; i++) {
      await t.db.query(
        "INSERT INTO heartbeat_point (metric, region, bucket, value, received_at) VALUES ('ledger-sync', 'eu', $1, 1000, $1) ON CONFLICT DO NOTHING",
        [new Date(Math.floor(t.clock.now().getTime() / 10_000) * 10_000)],
      );
      t.clock.advance(10_000);
      recovered = (await tick()).transitions.includes('recovered:ledger-sync:eu');
    }
    expect(recovered).toBe(true);
    const text = await published();
    expect(text).toContain('Activity has returned to normal in EU');
    expect(text).not.toMatch(/ledger/i);
  });
});
