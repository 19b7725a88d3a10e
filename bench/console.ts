// npm run bench:console — server time of every responder console page on PostgreSQL with the
// benchmark data set, against the 100 ms target.
//
// A scratch PostgreSQL database is created, Lifeline is built in this process (buildApp, role web
// only, so no job touches the data while it is measured; the same app `node src/server.ts` runs) and
// the data set is written with SQL:
//   CB_EMAIL=100000 email and CB_WEBHOOKS=10000 webhook subscribers (a few suppressed or disabled),
//   CB_INCIDENTS=2000 incidents with 3–5 updates each and an outbox event per update (the newest one
//   open), CB_DELIVERIES=110000 deliveries for the newest incident's latest update (76% sent, 20%
//   pending, 2% being sent, 2% dead), 10 dead letters on each of 50 older notices, CB_AUDIT=50000
//   audit rows, 6 heartbeat series (2 metrics × 3 regions, one metric internal) with a day of 10 s
//   points and their 1-minute roll-ups, detector summaries, and one open automatic notice.
// Then VACUUM ANALYZE (as autovacuum would have), an admin signs in through the sign-in form, and
// every console page is requested CB_WARMUP=3 times unrecorded, then CB_REQUESTS=20 times (app.inject,
// one at a time): the server time is the console's own Server-Timing header (from its first hook to
// the send, the session lookup included); the inject round trip is printed next to it.
// A page PASSes when its p95 server time is at most 100 ms.
//
// Other settings: CB_POSTGRES_URL=postgres://postgres@127.0.0.1:5432 (a lifeline_bench_console_<pid>_<hex>
// database is created there and dropped), CB_DEADLINE_SECONDS=900, CB_KEEP_DB=1 (do not drop it).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createApiToken } from '../src/services/access/create-api-token.ts';
import { OPERATOR_GRANTOR } from '../src/services/access/grantor.ts';
import { createTemplate } from '../src/services/templates/create-template.ts';
import { createUser } from '../src/services/access/create-user.ts';
import { setPassword } from '../src/services/access/set-password.ts';
import { createScratchDatabase, percentile, type ScratchDatabase } from './lib/lifeline.ts';
import { fmt, setting } from './lib/settings.ts';
import { labelledOperator } from '../src/domain/actor.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
process.chdir(ROOT);

const EMAIL = setting('CB_EMAIL', 100_000, 1, 5_000_000);
const WEBHOOKS = setting('CB_WEBHOOKS', 10_000, 1, 1_000_000);
const INCIDENTS = setting('CB_INCIDENTS', 2_000, 2, 200_000);
const DELIVERIES = setting('CB_DELIVERIES', 110_000, 1, 5_000_000);
const AUDIT = setting('CB_AUDIT', 50_000, 1, 5_000_000);
const REQUESTS = setting('CB_REQUESTS', 20, 1, 1000);
const WARMUP = setting('CB_WARMUP', 3, 0, 100);
const DEADLINE_SECONDS = setting('CB_DEADLINE_SECONDS', 900, 60, 7200);
const POSTGRES_URL = process.env.CB_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432';
const KEEP_DB = /^(1|true|yes)$/i.test(process.env.CB_KEEP_DB ?? '');
const TARGET_MS = 100;
const PASSWORD = 'a long benchmark passphrase';

const started = performance.now();
const log = (message: string) => process.stderr.write(`[+${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);

const state = {
  db: null as ScratchDatabase | null,
  tmp: null as string | null,
  app: null as Awaited<ReturnType<typeof buildApp>> | null,
  client: null as pg.Client | null,
  cleaning: null as Promise<void> | null,
};

function cleanup(): Promise<void> {
  state.cleaning ??= (async () => {
    await state.app?.close().catch(() => {});
    await state.client?.end().catch(() => {});
    if (state.db) {
      if (KEEP_DB) log(`kept database ${state.db.name}`);
      else {
        const error = await state.db.drop();
        log(error ? `WARNING: could not drop database ${state.db.name}: ${error}` : `dropped database ${state.db.name}`);
      }
    }
    if (state.tmp) rmSync(state.tmp, { recursive: true, force: true });
  })();
  return state.cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
const deadline = setTimeout(() => {
  log(`ERROR: the bench exceeded CB_DEADLINE_SECONDS=${DEADLINE_SECONDS}; stopping`);
  void cleanup().finally(() => process.exit(1));
}, DEADLINE_SECONDS * 1000);
deadline.unref();

const REGIONS = ['us', 'eu', 'au'];
const DEFINITION = {
  page: { name: 'Acme Chat (console bench)', url: 'https://www.acme.example', time_zone: 'Europe/Berlin' },
  groups: REGIONS.map((r) => ({
    key: r,
    name: r.toUpperCase(),
    components: ['messaging', 'api', 'calls', 'search'].map((c) => ({ key: `${r}-${c}`, name: c[0].toUpperCase() + c.slice(1) })),
  })),
  components: [{ key: 'website', name: 'Website' }],
  heartbeats: [
    { key: 'messages-created', label: 'Messages created', bucket_seconds: 10, regions: REGIONS },
    { key: 'logins', label: 'Logins', bucket_seconds: 10, regions: REGIONS, public: false },
  ],
};

async function seed(client: pg.Client, pageId: string, componentIds: string[]): Promise<{ newest: string; older: string; notice: string; deadEvent: number }> {
  const q = (sql: string, params: unknown[] = []) => client.query(sql, params);
  const now = new Date();
  log(`seeding ${fmt(EMAIL)} email and ${fmt(WEBHOOKS)} webhook subscribers`);
  await q(
    `INSERT INTO subscriber (id, type, email, url, secret, all_components, component_ids, source, confirmed_at, suppressed_at, suppressed_reason, created_at, updated_at)
     SELECT substr(md5('e' || n), 1, 14), 'email', 'user' || n || '@example' || (n % 97) || '.com', NULL, NULL, n % 4 <> 0,
            CASE WHEN n % 4 = 0 THEN jsonb_build_array(($2::text[])[1 + n % cardinality($2::text[])]) ELSE '[]'::jsonb END,
            (ARRAY['public', 'api', 'import'])[1 + n % 3], CASE WHEN n % 50 = 0 THEN NULL ELSE $1::timestamptz - n * interval '1 minute' END,
            CASE WHEN n % 997 = 0 THEN $1::timestamptz END, CASE WHEN n % 997 = 0 THEN 'SMTP 550 mailbox unavailable' END,
            $1::timestamptz - n * interval '1 minute', $1::timestamptz - n * interval '1 minute'
     FROM generate_series(1, $3::int) AS n`,
    [now, componentIds, EMAIL],
  );
  await q(
    `INSERT INTO subscriber (id, type, email, url, secret, all_components, source, confirmed_at, disabled_at, disabled_reason, created_at, updated_at)
     SELECT substr(md5('w' || n), 1, 14), 'webhook', 'owner' || n || '@example.net', 'https://hooks' || n || '.example.net/status', 'whsec_' || md5('s' || n), true, 'api',
            $1::timestamptz - n * interval '5 minutes', CASE WHEN n % 211 = 0 THEN $1::timestamptz END, CASE WHEN n % 211 = 0 THEN 'HTTP 410 Gone' END,
            $1::timestamptz - n * interval '5 minutes', $1::timestamptz - n * interval '5 minutes'
     FROM generate_series(1, $2::int) AS n`,
    [now, WEBHOOKS],
  );

  log(`seeding ${fmt(INCIDENTS)} incidents with 3–5 updates and an outbox event each`);
  // Incident 1 is the newest and still open; each starts 9 hours before the next.
  await q(
    `INSERT INTO incident (id, page_id, kind, name, status, impact, source, created_at, updated_at, started_at, resolved_at)
     SELECT 'inc' || lpad(n::text, 6, '0'), $2, 'incident', 'Messages delayed in ' || upper((ARRAY['us', 'eu', 'au'])[1 + n % 3]) || ' (#' || n || ')',
            CASE WHEN n = 1 THEN 'identified' ELSE 'resolved' END, (ARRAY['minor', 'major', 'critical'])[1 + n % 3], 'responder',
            t, t, t, CASE WHEN n = 1 THEN NULL ELSE t + interval '3 hours' END
     FROM (SELECT n, $1::timestamptz - n * interval '9 hours' + interval '8 hours' AS t FROM generate_series(1, $3::int) AS n) x`,
    [now, pageId, INCIDENTS],
  );
  await q(
    `INSERT INTO incident_component (incident_id, component_id)
     SELECT 'inc' || lpad(n::text, 6, '0'), ($1::text[])[1 + n % cardinality($1::text[])] FROM generate_series(1, $2::int) AS n`,
    [componentIds, INCIDENTS],
  );
  await q(
    `INSERT INTO incident_update (id, incident_id, status, body, deliver_notifications, created_by, created_at, display_at)
     SELECT 'upd' || lpad(n::text, 6, '0') || '_' || k, 'inc' || lpad(n::text, 6, '0'),
            CASE WHEN k = 1 THEN 'investigating' WHEN n = 1 THEN 'identified' WHEN k = 3 + n % 3 THEN 'resolved' ELSE 'monitoring' END,
            'Update ' || k || ': we are **looking into** delayed messages. Some customers see delays of up to ' || (k * 5) || ' minutes.',
            true, 'user:oncall@acme.example', t + k * interval '30 minutes', t + k * interval '30 minutes'
     FROM (SELECT n, $1::timestamptz - n * interval '9 hours' + interval '8 hours' AS t FROM generate_series(1, $2::int) AS n) x,
          generate_series(1, 3 + n % 3) AS k
     WHERE n > 1 OR k <= 3`,
    [now, INCIDENTS],
  );
  await q(
    `INSERT INTO outbox_event (type, payload, created_at, dispatched_at)
     SELECT CASE WHEN u.status = 'investigating' THEN 'incident.created' WHEN u.status = 'resolved' THEN 'incident.resolved' ELSE 'incident.updated' END,
            jsonb_build_object('incident_id', u.incident_id, 'update_id', u.id, 'deliver_notifications', true, 'component_ids', '[]'::jsonb),
            u.created_at, u.created_at + interval '20 seconds'
     FROM incident_update u ORDER BY u.created_at`,
  );
  const newestEvent = Number((await q(`SELECT max(id) AS id FROM outbox_event WHERE payload->>'incident_id' = 'inc000001'`)).rows[0].id);

  log(`seeding ${fmt(DELIVERIES)} deliveries for the newest incident's latest update, and dead letters on older notices`);
  // The mix: 76% sent, 20% pending (waiting, or between retries), 2% being sent, 2% dead-lettered.
  await q(
    `INSERT INTO delivery (event_id, subscriber_id, channel, state, attempts, next_attempt_at, published_at, claimed_at, sent_at, last_error, created_at)
     SELECT $1, s.id, s.type, st, CASE st WHEN 'sent' THEN 1 WHEN 'dead' THEN 7 WHEN 'sending' THEN 1 ELSE (r % 3) END,
            $2::timestamptz + (r % 600) * interval '1 second', CASE WHEN st <> 'pending' THEN $2::timestamptz END,
            CASE WHEN st = 'sending' THEN $2::timestamptz END, CASE WHEN st = 'sent' THEN $2::timestamptz END,
            CASE WHEN st = 'dead' THEN (ARRAY['SMTP 550 5.1.1 mailbox unavailable', 'HTTP 500 from the endpoint', 'connect ETIMEDOUT'])[1 + r % 3]
                 WHEN st = 'pending' AND r % 3 > 0 THEN 'HTTP 503 Service Unavailable' END,
            $2::timestamptz
     FROM (SELECT id, type, row_number() OVER (ORDER BY id) AS r FROM subscriber WHERE audience = 'public' LIMIT $3) s,
          LATERAL (SELECT CASE WHEN r % 100 < 2 THEN 'dead' WHEN r % 100 < 22 THEN 'pending' WHEN r % 100 < 24 THEN 'sending' ELSE 'sent' END AS st) m`,
    [newestEvent, new Date(now.getTime() - 10 * 60_000), DELIVERIES],
  );
  const olderEvents = (await q(`SELECT id FROM outbox_event WHERE payload->>'incident_id' <> 'inc000001' ORDER BY id DESC LIMIT 50`)).rows.map((r) =>
    Number(r.id),
  );
  await q(
    `INSERT INTO delivery (event_id, subscriber_id, channel, state, attempts, next_attempt_at, last_error, created_at)
     SELECT e, s.id, s.type, 'dead', 7, $2, 'HTTP 404 Not Found', $2
     FROM unnest($1::bigint[]) AS e, LATERAL (SELECT id, type FROM subscriber WHERE type = 'webhook' ORDER BY md5(id || e) LIMIT 10) s`,
    [olderEvents, new Date(now.getTime() - 86_400_000)],
  );

  log(`seeding ${fmt(AUDIT)} audit rows`);
  await q(
    `INSERT INTO audit_log (at, actor, action, target_type, target_id, details)
     SELECT $1::timestamptz - ($2::int - n) * interval '20 seconds',
            (ARRAY['user:oncall@acme.example', 'user:ana@acme.example', 'token:ci', 'system:delivery', 'system:heartbeat', 'cli:deploy'])[1 + n % 6],
            (ARRAY['incident.updated', 'subscriber.created', 'subscriber.unsubscribed', 'component.updated', 'delivery.replayed', 'token.created', 'user.signed_in', 'template.updated'])[1 + n % 8],
            'thing', 'id' || n, jsonb_build_object('n', n)
     FROM generate_series(1, $2::int) AS n`,
    [now, AUDIT],
  );

  log('seeding 6 heartbeat series with a day of 10 s points, their roll-ups, detector summaries and an automatic notice');
  const dayAgo = new Date(Math.floor(now.getTime() / 10_000) * 10_000 - 86_400_000);
  await q(
    `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at)
     SELECT m, r, b, round(2000 + 1200 * sin(extract(epoch FROM b) / 13751) + (random() * 200)), b
     FROM unnest(ARRAY['messages-created', 'logins']) AS m, unnest($2::text[]) AS r, generate_series($1::timestamptz, $1::timestamptz + interval '1 day', interval '10 seconds') AS b
     WHERE NOT (m = 'messages-created' AND r = 'eu' AND b > $1::timestamptz + interval '1 day' - interval '20 minutes')`,
    [dayAgo, REGIONS],
  );
  await q(
    `INSERT INTO heartbeat_rollup (metric, region, resolution, bucket, value, samples)
     SELECT metric, region, '1m', date_trunc('minute', bucket), sum(value), count(*)::int FROM heartbeat_point GROUP BY metric, region, date_trunc('minute', bucket)`,
  );
  const since = new Date(now.getTime() - 20 * 60_000);
  await q(
    `INSERT INTO incident (id, page_id, kind, name, status, impact, source, created_at, updated_at, started_at)
     VALUES ('notice1', $1, 'incident', 'Reduced activity: Messages created in EU', 'investigating', 'major', 'heartbeat', $2, $2, $2)`,
    [pageId, since],
  );
  await q(
    `INSERT INTO incident_update (id, incident_id, status, body, deliver_notifications, created_by, created_at, display_at)
     VALUES ('notice1_u1', 'notice1', 'investigating', 'We are seeing reduced activity in EU for messages created since 10:00 and are investigating.', false, 'system:heartbeat', $1, $1)`,
    [since],
  );
  await q("INSERT INTO heartbeat_episode (metric, region, started_at, tier, incident_id) VALUES ('messages-created', 'eu', $1, 'critical', 'notice1')", [
    since,
  ]);
  await q(
    `INSERT INTO detector_state (metric, region, state, summary, incident_id, updated_at)
     SELECT m, r, 'null', CASE WHEN m = 'messages-created' AND r = 'eu'
         THEN jsonb_build_object('state', 'critical', 'observed', 0, 'expected', 2400, 'since', $1::text, 'provisional', false, 'promised_delay_seconds', 60, 'evaluated_at', $2::text)
         ELSE jsonb_build_object('state', 'ok', 'observed', 2300, 'expected', 2400, 'since', NULL, 'provisional', false, 'promised_delay_seconds', 60, 'evaluated_at', $2::text) END,
       CASE WHEN m = 'messages-created' AND r = 'eu' THEN 'notice1' END, $2::timestamptz
     FROM unnest(ARRAY['messages-created', 'logins']) AS m, unnest($3::text[]) AS r`,
    [since.toISOString(), now.toISOString(), REGIONS],
  );
  const deadEvent = olderEvents[0];
  return { newest: 'inc000001', older: `inc${String(Math.min(INCIDENTS, 1500)).padStart(6, '0')}`, notice: 'notice1', deadEvent };
}

async function main() {
  state.tmp = mkdtempSync(join(tmpdir(), 'lifeline-bench-console-'));
  const definitionPath = join(state.tmp, 'lifeline.config.json');
  writeFileSync(definitionPath, JSON.stringify(DEFINITION));
  state.db = await createScratchDatabase(POSTGRES_URL, 'lifeline_bench_console');
  log(`scratch database ${state.db.name} on PostgreSQL ${state.db.version}`);
  const config = loadConfig(
    {
      DATABASE_URL: state.db.url,
      LIFELINE_ROLES: 'web',
      LOG_LEVEL: 'warn',
      LIFELINE_DATA_DIR: join(state.tmp, 'data'),
      LIFELINE_CONFIG: definitionPath,
      LIFELINE_PUBLIC_URL: 'http://127.0.0.1:8080',
      LIFELINE_ADMIN_SOCKET: 'false',
      DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '10',
    },
    ROOT,
  );
  const app = await buildApp({ config, logger: false });
  state.app = app;
  await app.ready();

  const client = new pg.Client({ connectionString: state.db.url });
  state.client = client;
  await client.connect();
  const pageId = (await client.query('SELECT id FROM page LIMIT 1')).rows[0].id as string;
  const componentIds = (await client.query('SELECT id FROM component ORDER BY position, key')).rows.map((r) => r.id as string);
  const seedStart = performance.now();
  const ids = await seed(client, pageId, componentIds);
  const ctx = app.serviceContext(labelledOperator('bench'));
  for (let i = 0; i < 12; i++) {
    const { user } = await createUser(ctx, {
      email: `responder${i}@acme.example`,
      role: i === 0 ? 'admin' : i < 9 ? 'responder' : 'viewer',
      name: `Responder ${i}`,
    });
    if (i === 0) await setPassword(ctx, user.id, { password: PASSWORD, confirm: PASSWORD });
  }
  for (let i = 0; i < 15; i++) await createApiToken(ctx, { name: `token-${i}`, scopes: i % 2 ? ['incidents:write'] : ['heartbeats:write'] }, OPERATOR_GRANTOR);
  for (let i = 0; i < 8; i++)
    await createTemplate(ctx, {
      name: `Template ${i}`,
      title: `Outage ${i}`,
      status: 'investigating',
      body: 'We are investigating.',
      components: { [componentIds[i]]: 'major_outage' },
    });
  log('VACUUM ANALYZE');
  await client.query('VACUUM ANALYZE');
  log(`data set ready in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const signIn = await app.inject({
    method: 'POST',
    url: '/console/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `email=responder0%40acme.example&password=${encodeURIComponent(PASSWORD)}`,
  });
  if (signIn.statusCode !== 303) throw new Error(`sign-in failed: ${signIn.statusCode} ${signIn.body.slice(0, 300)}`);
  const cookie = String(signIn.headers['set-cookie']).split(';')[0];
  const middleSubscriber = (await client.query('SELECT id FROM subscriber ORDER BY id OFFSET 50000 LIMIT 1')).rows[0].id as string;
  const middleAudit = Number((await client.query('SELECT id FROM audit_log ORDER BY id OFFSET 25000 LIMIT 1')).rows[0].id);
  const templateId = (await client.query('SELECT id FROM incident_template LIMIT 1')).rows[0].id as string;

  const pages: [string, string][] = [
    ['dashboard', '/console'],
    ['signal (24 h)', '/console/signal'],
    ['signal (7 d)', '/console/signal?range=7d'],
    ['take over a notice (form)', `/console/signal/notices/${ids.notice}/convert`],
    ['incident, 110k deliveries', `/console/incidents/${ids.newest}`],
    ['progress.json, 110k deliveries', `/console/incidents/${ids.newest}/progress.json`],
    ['incident, old', `/console/incidents/${ids.older}`],
    ['declare (template)', `/console/incidents/new?template=${templateId}`],
    ['failed deliveries', '/console/deliveries/dead'],
    ['failed deliveries of a notice', `/console/deliveries/dead?event=${ids.deadEvent}`],
    ['subscribers', '/console/subscribers'],
    ['subscribers, page 1,000', `/console/subscribers?after=${middleSubscriber}`],
    ['subscribers, webhooks', '/console/subscribers?type=webhook'],
    ['subscribers, search', '/console/subscribers?search=user4242%40'],
    ['subscribers, search (rare)', '/console/subscribers?search=hooks9999.example'],
    ['import form', '/console/subscribers/import'],
    ['components', '/console/components'],
    ['API tokens', '/console/tokens'],
    ['accounts', '/console/users'],
    ['audit log', '/console/audit'],
    ['audit, who + what', '/console/audit?actor=ana%40acme.example&action=token.'],
    ['audit, deep page', `/console/audit?before=${middleAudit}`],
    ['templates', '/console/templates'],
    ['maintenance form', '/console/maintenances/new'],
    ['account', '/console/account'],
  ];

  log(`measuring ${pages.length} pages: ${WARMUP} warm-up + ${REQUESTS} requests each`);
  const rows: { name: string; url: string; median: number; p95: number; wallMedian: number; bytes: number; pass: boolean }[] = [];
  for (const [name, url] of pages) {
    const server: number[] = [];
    const wall: number[] = [];
    let bytes = 0;
    for (let i = 0; i < WARMUP + REQUESTS; i++) {
      const t0 = performance.now();
      const response = await app.inject({ method: 'GET', url, headers: { cookie } });
      const elapsed = performance.now() - t0;
      if (response.statusCode !== 200) throw new Error(`${url}: HTTP ${response.statusCode}: ${response.body.slice(0, 300)}`);
      const timing = /app;dur=([\d.]+)/.exec(String(response.headers['server-timing']))?.[1];
      if (!timing) throw new Error(`${url}: no Server-Timing header`);
      if (i < WARMUP) continue;
      server.push(Number(timing));
      wall.push(elapsed);
      bytes = response.rawPayload.length;
    }
    server.sort((a, b) => a - b);
    wall.sort((a, b) => a - b);
    const p95 = percentile(server, 0.95);
    rows.push({ name, url, median: percentile(server, 0.5), p95, wallMedian: percentile(wall, 0.5), bytes, pass: p95 <= TARGET_MS });
  }

  const out: string[] = [];
  out.push('');
  out.push(
    `Console server time on PostgreSQL ${state.db.version}: ${fmt(EMAIL)} email + ${fmt(WEBHOOKS)} webhook subscribers, ${fmt(INCIDENTS)} incidents, ${fmt(DELIVERIES)} deliveries on the newest, ${fmt(AUDIT)} audit rows, 6 heartbeat series`,
  );
  out.push(`${REQUESTS} requests per page after ${WARMUP} warm-up; server time = Server-Timing (app); target: p95 ≤ ${TARGET_MS} ms`);
  out.push('');
  const header = ['page', 'median ms', 'p95 ms', 'inject median ms', 'KiB', 'target', 'result'];
  const table = rows.map((r) => [
    r.name,
    fmt(r.median, 1),
    fmt(r.p95, 1),
    fmt(r.wallMedian, 1),
    fmt(r.bytes / 1024, 1),
    `${TARGET_MS} ms`,
    r.pass ? 'PASS' : 'MISSED',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  out.push(line(header));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) out.push(line(row));
  const missed = rows.filter((r) => !r.pass);
  out.push('');
  out.push(
    missed.length === 0
      ? `All ${rows.length} console pages PASS (p95 ≤ ${TARGET_MS} ms).`
      : `MISSED on ${missed.length} of ${rows.length} pages: ${missed.map((r) => r.url).join(', ')}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
  if (missed.length > 0) process.exitCode = 1;
}

main()
  .catch((error) => {
    log(`ERROR: ${(error as Error).stack ?? error}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
