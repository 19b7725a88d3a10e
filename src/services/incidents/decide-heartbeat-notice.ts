import type { HeartbeatDefinition } from '../../config.ts';
import { authorize } from '../../domain/actor.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import { isUnresolved } from '../../domain/incident-lifecycle.ts';
import type { IncidentStatus } from '../../domain/status.ts';
import { BODY_MAX, requireText } from '../../domain/validation.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { decideEpisode, findEpisodeByIncident } from '../../storage/heartbeat-episode-repository.ts';
import type { HeartbeatEpisode } from '../../domain/model.ts';
import { lockDetectorState, saveDetectorState } from '../../storage/heartbeat-repository.ts';
import { findIncident, setIncidentSource } from '../../storage/incident-repository.ts';
import { touchPage } from '../../storage/page-repository.ts';
import type { Transaction } from '../../storage/database.ts';
import { joinTransaction, type ServiceContext } from '../context.ts';
import { postIncidentUpdate, type PostIncidentUpdateInput } from './post-incident-update.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from '../shared/incident-after-write.ts';

/**
 * The automatic notice's episode, locked with its series' detector row, after checking that the
 * incident is one the detector opened.
 */
async function loadAutomaticNotice(tx: Transaction, ctx: ServiceContext, incidentId: string) {
  const incident = await findIncident(tx, incidentId, 'incident', { forUpdate: true });
  if (!incident) throw new NotFoundError('incident', incidentId);
  const episode = await findEpisodeByIncident(tx, incidentId);
  if (!episode) throw new ConflictError(`incident ${incidentId} is not an automatic heartbeat notice`);
  if (episode.outcome === 'dismissed' || episode.outcome === 'converted') throw new ConflictError(`this notice was already ${episode.outcome} by ${episode.decided_by ?? 'a responder'}`);
  const row = await lockDetectorState(tx, { metric: episode.metric, region: episode.region }, ctx.clock.now());
  return { incident, episode, row };
}

/** The detector lets go of the episode: no more automatic updates or alerts until the series recovers. */
async function release(tx: Transaction, episode: HeartbeatEpisode, row: Awaited<ReturnType<typeof lockDetectorState>>, at: Date) {
  const open = episode.ended_at === null;
  await saveDetectorState(tx, { ...row, incident_id: row.incident_id === episode.incident_id ? null : row.incident_id, muted_until_recovery: open || row.muted_until_recovery }, at);
}

/**
 * A responder says an automatic notice was a false alarm: the notice closes saying so (subscribers
 * hear only if the metric's policy told them about it), the episode is recorded as dismissed (left
 * out of future baselines, like every episode), and the series stays quiet until it recovers.
 */
export async function dismissHeartbeatNotice(ctx: ServiceContext, incidentId: string, input: { reason?: string }, metrics: HeartbeatDefinition[]): Promise<IncidentAfterWrite> {
  authorize(ctx.actor, 'heartbeat_notice.decide');
  const reason = input.reason === undefined ? null : requireText('reason', input.reason, { max: 1000, multiline: true });
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const { incident, episode, row } = await loadAutomaticNotice(tx, ctx, incidentId);
    const metric = metrics.find((m) => m.key === episode.metric);
    if (isUnresolved(incident.status as IncidentStatus)) {
      await postIncidentUpdate({ ...ctx, db: joinTransaction(tx) }, incident.id, {
        status: 'resolved',
        body: `False alarm: a responder checked and ${metric?.label.toLowerCase() ?? 'activity'} in ${episode.region.toUpperCase()} was not affected by a problem on our side. This automatic notice is closed.`,
        deliver_notifications: metric?.notify_subscribers ?? false,
      });
    }
    await decideEpisode(tx, episode.id, { outcome: 'dismissed', by: ctx.actor.label, at });
    await release(tx, episode, row, at);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'heartbeat_notice.dismissed', target_type: 'incident', target_id: incident.id, details: { metric: episode.metric, region: episode.region, reason }, at });
    return readIncidentAfterWrite(tx, incident.id);
  });
}

/**
 * A responder takes an automatic notice over as a full incident: it is no longer marked automatic,
 * the detector stops updating or closing it, and the optional first update (status, body,
 * components, name) is posted in the same transaction.
 */
export async function convertHeartbeatNotice(ctx: ServiceContext, incidentId: string, input: Partial<PostIncidentUpdateInput>): Promise<IncidentAfterWrite> {
  authorize(ctx.actor, 'heartbeat_notice.decide');
  const at = ctx.clock.now();
  if (input.body === undefined && (input.status !== undefined || input.components !== undefined || input.impact !== undefined)) {
    throw new ValidationError('body', 'is required to post an update while taking the notice over');
  }
  if (input.body !== undefined) requireText('body', input.body, { max: BODY_MAX, multiline: true });
  return ctx.db.transaction(async (tx) => {
    const { incident, episode, row } = await loadAutomaticNotice(tx, ctx, incidentId);
    if (!isUnresolved(incident.status as IncidentStatus)) throw new ConflictError('this notice is already resolved; declare a new incident instead');
    await setIncidentSource(tx, incident.id, 'responder', at);
    await touchPage(tx, at);
    await decideEpisode(tx, episode.id, { outcome: 'converted', by: ctx.actor.label, at });
    await release(tx, episode, row, at);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'heartbeat_notice.converted', target_type: 'incident', target_id: incident.id, details: { metric: episode.metric, region: episode.region }, at });
    if (input.body !== undefined) await postIncidentUpdate({ ...ctx, db: joinTransaction(tx) }, incident.id, input as PostIncidentUpdateInput);
    return readIncidentAfterWrite(tx, incident.id);
  });
}
