import type { HeartbeatPoint } from '../domain/model.ts';
import type { Queryable } from './database.ts';
import type { HeartbeatPointRow, HeartbeatRollupRow } from './db-types.generated.ts';

/** One statement for a whole batch; a repeated (metric, region, bucket) replaces its value. */
export async function upsertHeartbeatPoints(db: Queryable, points: HeartbeatPoint[], receivedAt: Date): Promise<void> {
  if (points.length === 0) return;
  await db.query(
    `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at)
     SELECT m, r, b, v, $5 FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[]) AS p(m, r, b, v)
     ON CONFLICT (metric, region, bucket) DO UPDATE SET value = EXCLUDED.value, received_at = EXCLUDED.received_at`,
    [points.map((p) => p.metric), points.map((p) => p.region), points.map((p) => p.bucket), points.map((p) => p.value), receivedAt],
  );
}

export async function listHeartbeatPoints(
  db: Queryable,
  series: { metric: string; region: string },
  from: Date,
  to: Date,
): Promise<{ bucket: Date; value: number }[]> {
  return db.query<Pick<HeartbeatPointRow, 'bucket' | 'value'>>(
    'SELECT bucket, value FROM heartbeat_point WHERE metric = $1 AND region = $2 AND bucket >= $3 AND bucket < $4 ORDER BY bucket',
    [series.metric, series.region, from, to],
  );
}

type Series = { metric: string; region: string };
/** The series as two arrays joined by unnest, so each is read through the primary key's (metric, region, bucket) order. */
const seriesParams = (series: readonly Series[]) => [series.map((s) => s.metric), series.map((s) => s.region)];

/**
 * Re-rolls the raw buckets of these series in [from, to) into 1-minute sums, and those into
 * 1-hour sums; late or replaced points are picked up because recent windows are rolled again on
 * every pass. Each series is a range scan of the primary key, whatever the table's size.
 */
export async function rollUpHeartbeats(db: Queryable, window: { from: Date; to: Date }, series: readonly Series[]): Promise<void> {
  if (series.length === 0) return;
  await db.query(
    `INSERT INTO heartbeat_rollup (metric, region, resolution, bucket, value, samples)
     SELECT p.metric, p.region, '1m', date_trunc('minute', p.bucket), sum(p.value), count(*)::int
     FROM unnest($3::text[], $4::text[]) AS s(metric, region)
     JOIN heartbeat_point p ON p.metric = s.metric AND p.region = s.region AND p.bucket >= date_trunc('minute', $1::timestamptz) AND p.bucket < $2
     GROUP BY p.metric, p.region, date_trunc('minute', p.bucket)
     ON CONFLICT (metric, region, resolution, bucket) DO UPDATE SET value = EXCLUDED.value, samples = EXCLUDED.samples`,
    [window.from, window.to, ...seriesParams(series)],
  );
  await rollUpHours(db, window, series);
}

/** Re-sums the 1-hour roll-ups of these series from their 1-minute roll-ups, for the whole hours in [from, to). */
async function rollUpHours(db: Queryable, window: { from: Date; to: Date }, series: readonly Series[]): Promise<void> {
  if (series.length === 0) return;
  await db.query(
    `INSERT INTO heartbeat_rollup (metric, region, resolution, bucket, value, samples)
     SELECT r.metric, r.region, '1h', date_trunc('hour', r.bucket), sum(r.value), sum(r.samples)::int
     FROM unnest($3::text[], $4::text[]) AS s(metric, region)
     JOIN heartbeat_rollup r ON r.metric = s.metric AND r.region = s.region AND r.resolution = '1m' AND r.bucket >= date_trunc('hour', $1::timestamptz) AND r.bucket < $2
     GROUP BY r.metric, r.region, date_trunc('hour', r.bucket)
     ON CONFLICT (metric, region, resolution, bucket) DO UPDATE SET value = EXCLUDED.value, samples = EXCLUDED.samples`,
    [window.from, window.to, ...seriesParams(series)],
  );
}

/**
 * Retention: raw buckets 48 h, 1-minute roll-ups 90 days, hourly roll-ups kept. Returns rows
 * removed. Per series it is a primary-key range scan; `'all'` scans the tables (series no longer
 * declared), which the maintenance job does only now and then.
 */
export async function enforceHeartbeatRetention(db: Queryable, now: Date, series: readonly Series[] | 'all'): Promise<number> {
  const rawBefore = new Date(now.getTime() - 48 * 3_600_000);
  const minuteBefore = new Date(now.getTime() - 90 * 86_400_000);
  if (series === 'all') {
    const raw = await db.query('DELETE FROM heartbeat_point WHERE bucket < $1 RETURNING 1', [rawBefore]);
    const minute = await db.query("DELETE FROM heartbeat_rollup WHERE resolution = '1m' AND bucket < $1 RETURNING 1", [minuteBefore]);
    return raw.length + minute.length;
  }
  if (series.length === 0) return 0;
  const raw = await db.query(
    'DELETE FROM heartbeat_point p USING unnest($2::text[], $3::text[]) AS s(metric, region) WHERE p.metric = s.metric AND p.region = s.region AND p.bucket < $1 RETURNING 1',
    [rawBefore, ...seriesParams(series)],
  );
  const minute = await db.query(
    "DELETE FROM heartbeat_rollup r USING unnest($2::text[], $3::text[]) AS s(metric, region) WHERE r.metric = s.metric AND r.region = s.region AND r.resolution = '1m' AND r.bucket < $1 RETURNING 1",
    [minuteBefore, ...seriesParams(series)],
  );
  return raw.length + minute.length;
}

export type DetectorRow = {
  metric: string;
  region: string;
  state: unknown;
  summary: Record<string, unknown>;
  incident_id: string | null;
  /** A responder dismissed or took over the episode: no notice or alert until the series recovers. */
  muted_until_recovery: boolean;
};

/** The series' detector row, locked for this transaction (created empty when missing), so one instance evaluates it at a time. */
export async function lockDetectorState(db: Queryable, series: { metric: string; region: string }, at: Date): Promise<DetectorRow> {
  await db.query("INSERT INTO detector_state (metric, region, state, updated_at) VALUES ($1, $2, 'null', $3) ON CONFLICT DO NOTHING", [
    series.metric,
    series.region,
    at,
  ]);
  const rows = await db.query<DetectorRow>(
    'SELECT metric, region, state, summary, incident_id, muted_until_recovery FROM detector_state WHERE metric = $1 AND region = $2 FOR UPDATE',
    [series.metric, series.region],
  );
  return rows[0];
}

export async function saveDetectorState(db: Queryable, row: DetectorRow, at: Date): Promise<void> {
  await db.query(
    'UPDATE detector_state SET state = $3, summary = $4, incident_id = $5, muted_until_recovery = $6, updated_at = $7 WHERE metric = $1 AND region = $2',
    [row.metric, row.region, JSON.stringify(row.state), JSON.stringify(row.summary), row.incident_id, row.muted_until_recovery, at],
  );
}

export async function listDetectorRows(db: Queryable): Promise<DetectorRow[]> {
  return db.query<DetectorRow>('SELECT metric, region, state, summary, incident_id, muted_until_recovery FROM detector_state ORDER BY metric, region');
}

/** When the series' history begins: its oldest roll-up or raw bucket; null before its first push. */
export async function seriesStart(db: Queryable, series: { metric: string; region: string }): Promise<Date | null> {
  const rows = await db.query<{ at: Date | null }>(
    `SELECT least((SELECT min(bucket) FROM heartbeat_rollup WHERE metric = $1 AND region = $2 AND resolution = '1m'),
                  (SELECT min(bucket) FROM heartbeat_point WHERE metric = $1 AND region = $2)) AS at`,
    [series.metric, series.region],
  );
  return rows[0]?.at ? new Date(rows[0].at) : null;
}

export async function listRollups(db: Queryable, series: { metric: string; region: string }, from: Date, to: Date): Promise<{ bucket: Date; value: number }[]> {
  return db.query<Pick<HeartbeatRollupRow, 'bucket' | 'value'>>(
    "SELECT bucket, value FROM heartbeat_rollup WHERE metric = $1 AND region = $2 AND resolution = '1m' AND bucket >= $3 AND bucket < $4 ORDER BY bucket",
    [series.metric, series.region, from, to],
  );
}

/** Bulk insert of 1-minute roll-ups (demo history, imports); existing buckets are kept. */
export async function insertMinuteRollups(
  db: Queryable,
  rows: { metric: string; region: string; bucket: Date; value: number; samples: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO heartbeat_rollup (metric, region, resolution, bucket, value, samples)
     SELECT m, r, '1m', b, v, s FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::int[]) AS p(m, r, b, v, s)
     ON CONFLICT (metric, region, resolution, bucket) DO NOTHING`,
    [rows.map((p) => p.metric), rows.map((p) => p.region), rows.map((p) => p.bucket), rows.map((p) => p.value), rows.map((p) => p.samples)],
  );
}

/**
 * Imported history of one series: 1-minute roll-ups, a minute written again replaces its value.
 * Times travel as epoch seconds (float8), which PGlite and pg pass far faster than timestamps.
 */
export async function replaceSeriesMinutes(
  db: Queryable,
  series: Series,
  rows: { epochSeconds: number[]; values: number[]; samples: number[] },
): Promise<void> {
  if (rows.epochSeconds.length === 0) return;
  await db.query(
    `INSERT INTO heartbeat_rollup (metric, region, resolution, bucket, value, samples)
     SELECT $1, $2, '1m', to_timestamp(b), v, s FROM unnest($3::float8[], $4::float8[], $5::int[]) AS p(b, v, s)
     ON CONFLICT (metric, region, resolution, bucket) DO UPDATE SET value = EXCLUDED.value, samples = EXCLUDED.samples`,
    [series.metric, series.region, rows.epochSeconds, rows.values, rows.samples],
  );
}

/** Imported history of one series as raw buckets (the recent hours): a bucket written again replaces its value. */
export async function replaceSeriesPoints(db: Queryable, series: Series, rows: { epochSeconds: number[]; values: number[] }, receivedAt: Date): Promise<void> {
  if (rows.epochSeconds.length === 0) return;
  await db.query(
    `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at)
     SELECT $1, $2, to_timestamp(b), v, $5 FROM unnest($3::float8[], $4::float8[]) AS p(b, v)
     ON CONFLICT (metric, region, bucket) DO UPDATE SET value = EXCLUDED.value, received_at = EXCLUDED.received_at`,
    [series.metric, series.region, rows.epochSeconds, rows.values, receivedAt],
  );
}

/** Re-sums one series' 1-hour roll-ups from its 1-minute roll-ups, for the whole hours in [from, to). */
export async function rollUpSeriesHours(db: Queryable, series: Series, window: { from: Date; to: Date }): Promise<void> {
  await db.query(
    `INSERT INTO heartbeat_rollup (metric, region, resolution, bucket, value, samples)
     SELECT metric, region, '1h', date_trunc('hour', bucket), sum(value), sum(samples)::int
     FROM heartbeat_rollup WHERE metric = $1 AND region = $2 AND resolution = '1m' AND bucket >= date_trunc('hour', $3::timestamptz) AND bucket < $4
     GROUP BY metric, region, date_trunc('hour', bucket)
     ON CONFLICT (metric, region, resolution, bucket) DO UPDATE SET value = EXCLUDED.value, samples = EXCLUDED.samples`,
    [series.metric, series.region, window.from, window.to],
  );
}

/** The newest raw bucket of a series, if any. */
export async function latestPoint(db: Queryable, series: { metric: string; region: string }): Promise<Date | null> {
  const rows = await db.query<{ at: Date | null }>('SELECT max(bucket) AS at FROM heartbeat_point WHERE metric = $1 AND region = $2', [
    series.metric,
    series.region,
  ]);
  return rows[0]?.at ? new Date(rows[0].at) : null;
}
