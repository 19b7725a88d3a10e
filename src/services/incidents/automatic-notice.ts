/**
 * What the two decisions on an automatic heartbeat notice (dismiss, convert) share: finding the
 * notice's episode under lock, and letting the detector go of it.
 */
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { Transaction } from '../../storage/database.ts';
import type { HeartbeatEpisode } from '../../domain/model.ts';
import { findEpisodeByIncident } from '../../storage/heartbeat-episode-repository.ts';
import { lockDetectorState, saveDetectorState } from '../../storage/heartbeat-repository.ts';
import { findIncident } from '../../storage/incident-repository.ts';
import type { ServiceContext } from '../context.ts';

/**
 * The automatic notice's episode, locked with its series' detector row, after checking that the
 * incident is one the detector opened and that nobody decided on it yet.
 */
export async function loadAutomaticNotice(tx: Transaction, ctx: ServiceContext, incidentId: string) {
  const incident = await findIncident(tx, incidentId, 'incident', { forUpdate: true });
  if (!incident) throw new NotFoundError('incident', incidentId);
  const episode = await findEpisodeByIncident(tx, incidentId);
  if (!episode) throw new ConflictError(`incident ${incidentId} is not an automatic heartbeat notice`);
  if (episode.outcome === 'dismissed' || episode.outcome === 'converted')
    throw new ConflictError(`this notice was already ${episode.outcome} by ${episode.decided_by ?? 'a responder'}`);
  const row = await lockDetectorState(tx, { metric: episode.metric, region: episode.region }, ctx.clock.now());
  return { incident, episode, row };
}

/** The detector lets go of the episode: no more automatic updates or alerts until the series recovers. */
export async function releaseEpisode(tx: Transaction, episode: HeartbeatEpisode, row: Awaited<ReturnType<typeof lockDetectorState>>, at: Date) {
  const open = episode.ended_at === null;
  await saveDetectorState(
    tx,
    { ...row, incident_id: row.incident_id === episode.incident_id ? null : row.incident_id, muted_until_recovery: open || row.muted_until_recovery },
    at,
  );
}
