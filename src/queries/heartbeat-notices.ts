import type { PageDefinition } from '../config.ts';
import type { HeartbeatEpisode, Incident } from '../domain/model.ts';
import type { Queryable } from '../storage/database.ts';
import { findEpisodeByIncident, findEpisodesByIncidents } from '../storage/heartbeat-episode-repository.ts';
import { listDetectorRows, type DetectorRow } from '../storage/heartbeat-repository.ts';
import { findIncident, listUnresolved } from '../storage/incident-repository.ts';

type HeartbeatMetric = NonNullable<PageDefinition['heartbeats']>[number];

/** An incident the detector opened, with the alarm episode behind it and its series' label. */
export interface AutomaticNotice {
  incident: Incident;
  episode: HeartbeatEpisode | null;
  label: string | null;
}

/** One declared series with the detector's latest state of it (null before its first evaluation). */
export interface SeriesState {
  metric: string;
  region: string;
  label: string;
  isPublic: boolean;
  summary: DetectorRow['summary'] | null;
}

const labelOf = (metrics: HeartbeatMetric[], episode: HeartbeatEpisode | null) =>
  episode ? (metrics.find((m) => m.key === episode.metric)?.label ?? null) : null;

/** The open automatic notices. Their episodes are read in one statement, however many notices are open. */
export async function loadAutomaticNotices(db: Queryable, metrics: HeartbeatMetric[]): Promise<AutomaticNotice[]> {
  const open = (await listUnresolved(db, 'incident')).filter((i) => i.source === 'heartbeat');
  const episodes = await findEpisodesByIncidents(
    db,
    open.map((i) => i.id),
  );
  return open.map((incident) => {
    const episode = episodes.get(incident.id) ?? null;
    return { incident, episode, label: labelOf(metrics, episode) };
  });
}

/** One incident (any source) with its episode, for the decision forms; null when there is no such incident. */
export async function findNotice(db: Queryable, metrics: HeartbeatMetric[], id: string): Promise<AutomaticNotice | null> {
  const incident = await findIncident(db, id, 'incident');
  if (!incident) return null;
  const episode = await findEpisodeByIncident(db, incident.id);
  return { incident, episode, label: labelOf(metrics, episode) };
}

/** The dashboard's signal panel: every declared series' state and the open notices; null when no series is declared. */
export async function loadSignalPanel(db: Queryable, metrics: HeartbeatMetric[]): Promise<{ series: SeriesState[]; notices: AutomaticNotice[] } | null> {
  if (metrics.length === 0) return null;
  const [rows, notices] = await Promise.all([listDetectorRows(db), loadAutomaticNotices(db, metrics)]);
  const series = metrics.flatMap((m) =>
    m.regions.map((region) => ({
      metric: m.key,
      region,
      label: m.label,
      isPublic: m.public !== false,
      summary: rows.find((r) => r.metric === m.key && r.region === region)?.summary ?? null,
    })),
  );
  return { series, notices };
}

/** The detector's latest row of every series it has evaluated (the public heartbeat list shows their summaries). */
export function listSeriesStates(db: Queryable): Promise<DetectorRow[]> {
  return listDetectorRows(db);
}
