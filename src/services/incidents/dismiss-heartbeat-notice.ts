import Type, { type Static } from 'typebox';
import type { HeartbeatDefinition } from '../../config.ts';
import { authorize } from '../../domain/actor.ts';
import { isUnresolved } from '../../domain/incident-lifecycle.ts';
import { requireText } from '../../domain/validation.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { decideEpisode } from '../../storage/heartbeat-episode-repository.ts';
import { joinTransaction, type ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from '../shared/incident-after-write.ts';
import { loadAutomaticNotice, releaseEpisode } from './automatic-notice.ts';
import { postIncidentUpdate } from './post-incident-update.ts';

/** Long enough for a sentence or two in the audit log, short enough to list. */
const REASON_MAX = 1000;

/** Why a responder dismisses an automatic notice: the API's request body, the signal page's form. */
export const DismissHeartbeatNoticeInput = Type.Object(
  {
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: REASON_MAX, description: 'for the audit log' })),
  },
  { additionalProperties: false },
);
export type DismissHeartbeatNoticeInput = Static<typeof DismissHeartbeatNoticeInput>;

/**
 * A responder says an automatic notice was a false alarm: the notice closes saying so (subscribers
 * hear only if the metric's policy told them about it), the episode is recorded as dismissed (left
 * out of future baselines, like every episode), and the series stays quiet until it recovers.
 */
export async function dismissHeartbeatNotice(
  ctx: ServiceContext,
  incidentId: string,
  raw: unknown,
  metrics: HeartbeatDefinition[],
): Promise<IncidentAfterWrite> {
  authorize(ctx.actor, 'heartbeat_notice.decide');
  const input = parseInput(DismissHeartbeatNoticeInput, raw);
  const reason = input.reason === undefined ? null : requireText('reason', input.reason, { max: REASON_MAX, multiline: true });
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const { incident, episode, row } = await loadAutomaticNotice(tx, ctx, incidentId);
    const metric = metrics.find((m) => m.key === episode.metric);
    if (isUnresolved(incident.status)) {
      await postIncidentUpdate({ ...ctx, db: joinTransaction(tx) }, incident.id, {
        status: 'resolved',
        body: `False alarm: a responder checked and ${metric && metric.public !== false ? metric.label.toLowerCase() : 'activity'} in ${episode.region.toUpperCase()} was not affected by a problem on our side. This automatic notice is closed.`,
        deliver_notifications: metric?.notify_subscribers ?? false,
      });
    }
    await decideEpisode(tx, episode.id, { outcome: 'dismissed', by: ctx.actor.label, at });
    await releaseEpisode(tx, episode, row, at);
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'heartbeat_notice.dismissed',
      target_type: 'incident',
      target_id: incident.id,
      details: { metric: episode.metric, region: episode.region, reason },
      at,
    });
    return readIncidentAfterWrite(tx, incident.id);
  });
}
