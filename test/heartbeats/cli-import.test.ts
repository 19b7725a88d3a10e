import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminSocket } from '../../src/cli/admin-socket.ts';
import { run } from '../../src/cli/main.ts';
import { ManualClock } from '../../src/clock.ts';
import { validatePageDefinition } from '../../src/config.ts';
import { labelledOperator } from '../../src/domain/actor.ts';
import { demoCount } from '../../src/jobs/demo-heartbeats-job.ts';
import { evaluateHeartbeats } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';

/**
 * `lifeline heartbeats import FILE.csv` as an operator runs it: the CLI reaches the running app
 * through its admin socket and posts the file in batches to POST /api/v1/heartbeats/history.
 */
const definition = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [{ key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: ['us', 'eu'] }],
});
const MINUTE = 60_000;
const DAY = 86_400_000;

let t: TestApp;
let stopSocket: () => Promise<void>;
let env: Record<string, string>;
// The CLI leaves out what is over 8 weeks old by its own clock: the app's clock starts at the real now.
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;

beforeAll(async () => {
  t = await startTestApp({ definition, clock: new ManualClock(new Date(NOW)) });
  const configPath = join(t.dataDir, 'page.json');
  writeFileSync(configPath, JSON.stringify(definition));
  env = { LIFELINE_DATA_DIR: t.dataDir, LIFELINE_CONFIG: configPath, LOG_LEVEL: 'silent' };
  stopSocket = await startAdminSocket(t.app);
});
afterAll(async () => {
  await stopSocket();
  await t.close();
});

async function cli(...argv: string[]): Promise<{ out: string[]; progress: string[]; error: string | null }> {
  const out: string[] = [];
  const progress: string[] = [];
  try {
    await run(
      argv,
      env,
      (line) => out.push(line),
      (line) => out.push(`warn: ${line}`),
      {
        progress: (line) => {
          if (line !== '') progress.push(line);
        },
        wait: async () => {},
      },
    );
    return { out, progress, error: null };
  } catch (error) {
    return { out, progress, error: (error as Error).message };
  }
}
const file = (name: string, text: string) => {
  const path = join(t.dataDir, name);
  writeFileSync(path, text);
  return path;
};
const minuteSum = async (region: string, from: number, to: number) =>
  (
    await t.db.query<{ total: number | null }>(
      "SELECT sum(value) AS total FROM heartbeat_rollup WHERE metric = 'messages-created' AND region = $1 AND resolution = '1m' AND bucket >= $2 AND bucket < $3",
      [region, new Date(from), new Date(to)],
    )
  )[0].total;

describe('lifeline heartbeats import', { timeout: 120_000 }, () => {
  it('imports 22 days of metric,region,timestamp,value in batches, with a progress line, and the series has a weekly baseline at once', async () => {
    const from = NOW - 22 * DAY;
    const lines = ['metric,region,timestamp,value'];
    for (let at = from; at < NOW; at += MINUTE) lines.push(`messages-created,eu,${new Date(at).toISOString()},${demoCount('messages-created', 'eu', at, 60)}`);
    const result = await cli('heartbeats', 'import', file('long.csv', `${lines.join('\n')}\n`));
    expect(result.error).toBeNull();
    expect(result.out[0]).toMatch(/^Importing 31,680 points of 60 s \(long CSV\) into 1 series: messages-created\/eu; /);
    expect(result.out.at(-1)).toMatch(/^Imported 31,680 points into 1 series in 4 requests\./);
    expect(result.progress).toHaveLength(4);
    expect(result.progress.at(-1)).toMatch(/^31,680 of 31,680 points imported \(100%, /);
    const expected = lines.slice(1, 61).reduce((sum, line) => sum + Number(line.split(',')[3]), 0);
    expect(await minuteSum('eu', from, from + 60 * MINUTE)).toBe(expected);

    // The last imported bucket has just closed: nothing live is missing yet.
    t.clock.advance(5_000);
    await evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), definition.heartbeats ?? [], { timeZone: 'UTC', maintenance: [] });
    const series = (await t.app.inject({ method: 'GET', url: '/api/v2/heartbeats.json' })).json().heartbeats.find((h: { region: string }) => h.region === 'eu');
    expect(series).toMatchObject({ provisional: false, state: 'ok' });
  });

  it("reads Lifeline's own data.csv back (with --metric and --region): the same counts per hour", async () => {
    const csv = (await t.app.inject({ method: 'GET', url: '/heartbeat/messages-created/eu/data.csv?range=7d' })).body;
    expect(csv.split('\r\n')[0]).toBe('bucket_start,observed,expected,expected_low,expected_high,in_episode');
    const result = await cli('heartbeats', 'import', file('data.csv', csv), '--metric', 'messages-created', '--region', 'us');
    expect(result.error).toBeNull();
    expect(result.out[0]).toMatch(/points of 900 s \(lifeline CSV\) into 1 series: messages-created\/us/);
    const hour = Math.floor((NOW - 3 * DAY) / 3_600_000) * 3_600_000;
    const eu = (await minuteSum('eu', hour, hour + 3_600_000)) as number;
    const us = (await minuteSum('us', hour, hour + 3_600_000)) as number;
    // observed is rounded to 2 decimals per 10 s bucket: within a count or two per slot.
    expect(Math.abs(us - eu)).toBeLessThan(10);
  });

  it('reads a Datadog / Prometheus export (timestamp, one column per series), summing finer rows into minutes', async () => {
    const from = Math.floor((NOW - 40 * DAY) / DAY) * DAY;
    const rows = ['timestamp,"messages-created{region=""us"",env=""prod""}",sum:messages-created{region:eu}.as_count()'];
    for (let i = 0; i < 12; i++) rows.push(`${(from + i * 10_000) / 1000},${i},${i === 3 ? '' : 2}`);
    const result = await cli('heartbeats', 'import', file('export.csv', rows.join('\r\n')));
    expect(result.error).toBeNull();
    expect(result.out[0]).toMatch(/^Importing 4 points of 60 s \(wide CSV\) into 2 series: messages-created\/eu, messages-created\/us;/);
    expect(await minuteSum('us', from, from + MINUTE)).toBe(0 + 1 + 2 + 3 + 4 + 5);
    expect(await minuteSum('us', from + MINUTE, from + 2 * MINUTE)).toBe(6 + 7 + 8 + 9 + 10 + 11);
    expect(await minuteSum('eu', from, from + MINUTE)).toBe(10);
  });

  it('checks the whole file before sending anything, naming the line', async () => {
    const at = new Date(NOW - 30 * DAY).toISOString();
    const bad = await cli(
      'heartbeats',
      'import',
      file('bad.csv', `metric,region,timestamp,value\nmessages-created,us,${at},5\nmessages-created,mars,${at},5\n`),
    );
    expect(bad.error).toBe('line 3: region "mars" is not declared for messages-created; declared: us, eu');
    expect(bad.progress).toEqual([]);
    expect(await minuteSum('us', NOW - 30 * DAY, NOW - 30 * DAY + MINUTE)).toBeNull();
    const value = await cli('heartbeats', 'import', file('value.csv', `metric,region,timestamp,value\nmessages-created,us,${at},-5\n`));
    expect(value.error).toMatch(/value\.csv: line 2: value must be a count of 0 or more, got "-5"$/);
    const hourly = ['metric,region,timestamp,value', ...[0, 1].map((h) => `messages-created,us,${new Date(NOW - 30 * DAY + h * 3_600_000).toISOString()},5`)];
    expect((await cli('heartbeats', 'import', file('hourly.csv', hourly.join('\n')), '--resolution', '60')).error).toBe(
      'rows are 3600 s apart, coarser than --resolution 60: use --resolution 3600 (or leave it out)',
    );
    expect((await cli('heartbeats', 'import')).error).toBe('heartbeats import needs FILE.csv');
  });
});
