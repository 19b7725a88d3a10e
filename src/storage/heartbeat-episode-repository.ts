import type { HeartbeatEpisode } from '../domain/model.ts';
import type { Queryable } from './database.ts';
import type { HeartbeatEpisodeRow } from './db-types.generated.ts';

type Series = { metric: string; region: string };
// Every column (a HeartbeatEpisodeRow); the id is a bigserial, read as an int.
const COLUMNS = 'id::int AS id, metric, region, started_at, ended_at, tier, incident_id, outcome, decided_by, decided_at';

export async function openEpisode(db: Queryable, series: Series, episode: { startedAt: Date; tier: string; incidentId: string | null }): Promise<number> {
  const rows = await db.query<Pick<HeartbeatEpisodeRow, 'id'>>(
    'INSERT INTO heartbeat_episode (metric, region, started_at, tier, incident_id) VALUES ($1, $2, $3, $4, $5) RETURNING id::int AS id',
    [series.metric, series.region, episode.startedAt, episode.tier, episode.incidentId],
  );
  return rows[0].id;
}

/** The series' episode that has not ended yet, if any. */
export async function findOpenEpisode(db: Queryable, series: Series): Promise<HeartbeatEpisode | null> {
  const rows = await db.query<HeartbeatEpisodeRow>(
    `SELECT ${COLUMNS} FROM heartbeat_episode WHERE metric = $1 AND region = $2 AND ended_at IS NULL ORDER BY id DESC LIMIT 1`,
    [series.metric, series.region],
  );
  return rows[0] ?? null;
}

export async function findEpisodeByIncident(db: Queryable, incidentId: string): Promise<HeartbeatEpisode | null> {
  const rows = await db.query<HeartbeatEpisodeRow>(`SELECT ${COLUMNS} FROM heartbeat_episode WHERE incident_id = $1 ORDER BY id DESC LIMIT 1`, [incidentId]);
  return rows[0] ?? null;
}

/** The latest episode of each of these incidents, in one statement (the console lists many notices at once). */
export async function findEpisodesByIncidents(db: Queryable, incidentIds: string[]): Promise<Map<string, HeartbeatEpisode>> {
  if (incidentIds.length === 0) return new Map();
  const rows = await db.query<HeartbeatEpisodeRow>(
    `SELECT DISTINCT ON (incident_id) ${COLUMNS} FROM heartbeat_episode WHERE incident_id = ANY($1::text[]) ORDER BY incident_id, id DESC`,
    [incidentIds],
  );
  const byIncident = new Map<string, HeartbeatEpisode>();
  for (const episode of rows) if (episode.incident_id !== null) byIncident.set(episode.incident_id, episode);
  return byIncident;
}

export async function escalateEpisode(db: Queryable, id: number, tier: string): Promise<void> {
  await db.query('UPDATE heartbeat_episode SET tier = $2 WHERE id = $1', [id, tier]);
}

export async function endEpisode(db: Queryable, id: number, at: Date): Promise<void> {
  await db.query("UPDATE heartbeat_episode SET ended_at = $2, outcome = COALESCE(outcome, 'recovered') WHERE id = $1", [id, at]);
}

/** A responder's decision on an episode: a false alarm (dismissed) or taken over as an incident (converted). */
export async function decideEpisode(db: Queryable, id: number, decision: { outcome: 'dismissed' | 'converted'; by: string; at: Date }): Promise<void> {
  await db.query('UPDATE heartbeat_episode SET outcome = $2, decided_by = $3, decided_at = $4 WHERE id = $1', [id, decision.outcome, decision.by, decision.at]);
}

/** Episodes of a series overlapping [from, to) (open ones included), oldest first: shaded on charts. */
export async function listEpisodes(db: Queryable, series: Series, from: Date, to: Date): Promise<HeartbeatEpisode[]> {
  return db.query<HeartbeatEpisodeRow>(
    `SELECT ${COLUMNS} FROM heartbeat_episode WHERE metric = $1 AND region = $2 AND started_at < $4 AND (ended_at IS NULL OR ended_at >= $3) ORDER BY started_at`,
    [series.metric, series.region, from, to],
  );
}
