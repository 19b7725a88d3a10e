import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { ConflictError, ValidationError } from '../../domain/errors.ts';
import { isUnresolved } from '../../domain/incident-lifecycle.ts';
import { BODY_MAX, requireText } from '../../domain/validation.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { decideEpisode } from '../../storage/heartbeat-episode-repository.ts';
import { setIncidentSource } from '../../storage/incident-repository.ts';
import { touchPage } from '../../storage/page-repository.ts';
import { joinTransaction, type ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from '../shared/incident-after-write.ts';
import { loadAutomaticNotice, releaseEpisode } from './automatic-notice.ts';
import { postIncidentUpdate, PostIncidentUpdateInput } from './post-incident-update.ts';

const { status, body, impact, components, deliver_notifications } = PostIncidentUpdateInput.properties;

/**
 * Taking a notice over, with an optional first update: the update's fields (no postmortem link on
 * an open notice), the body optional, since a responder may take the notice over before writing.
 */
export const ConvertHeartbeatNoticeInput = Type.Object(
  {
    status,
    body: Type.Optional(body),
    impact,
    components,
    deliver_notifications,
  },
  { additionalProperties: false },
);
export type ConvertHeartbeatNoticeInput = Static<typeof ConvertHeartbeatNoticeInput>;

/**
 * A responder takes an automatic notice over as a full incident: it is no longer marked automatic,
 * the detector stops updating or closing it, and the optional first update (status, body,
 * components, impact) is posted in the same transaction.
 */
export async function convertHeartbeatNotice(ctx: ServiceContext, incidentId: string, raw: unknown): Promise<IncidentAfterWrite> {
  authorize(ctx.actor, 'heartbeat_notice.decide');
  const input = parseInput(ConvertHeartbeatNoticeInput, raw);
  const at = ctx.clock.now();
  if (input.body === undefined && (input.status !== undefined || input.components !== undefined || input.impact !== undefined)) {
    throw new ValidationError('body', 'is required to post an update while taking the notice over');
  }
  if (input.body !== undefined) requireText('body', input.body, { max: BODY_MAX, multiline: true });
  return ctx.db.transaction(async (tx) => {
    const { incident, episode, row } = await loadAutomaticNotice(tx, ctx, incidentId);
    if (!isUnresolved(incident.status)) throw new ConflictError('this notice is already resolved; declare a new incident instead');
    await setIncidentSource(tx, incident.id, 'responder', at);
    await touchPage(tx, at);
    await decideEpisode(tx, episode.id, { outcome: 'converted', by: ctx.actor.label, at });
    await releaseEpisode(tx, episode, row, at);
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'heartbeat_notice.converted',
      target_type: 'incident',
      target_id: incident.id,
      details: { metric: episode.metric, region: episode.region },
      at,
    });
    if (input.body !== undefined) await postIncidentUpdate({ ...ctx, db: joinTransaction(tx) }, incident.id, { ...input, body: input.body });
    return readIncidentAfterWrite(tx, incident.id);
  });
}
