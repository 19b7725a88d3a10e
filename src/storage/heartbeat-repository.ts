import type { Queryable } from './database.ts';

export interface HeartbeatPoint {
  metric: string;
  region: string;
  bucket: Date;
  value: number;
}

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

export async function listHeartbeatPoints(db: Queryable, series: { metric: string; region: string }, from: Date, to: Date): Promise<{ bucket: Date; value: number }[]> {
  return db.query<{ bucket: Date; value: number }>(
    'SELECT bucket, value FROM heartbeat_point WHERE metric = $1 AND region = $2 AND bucket >= $3 AND bucket < $4 ORDER BY bucket',
    [series.metric, series.region, from, to],
  );
}
