import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { assertIncidentTransition, isUnresolved, lifecycleTimestamps } from '../../domain/incident-lifecycle.ts';
import { IMPACTS, INCIDENT_STATUSES, type Impact, type IncidentStatus } from '../../domain/status.ts';
import { BODY_MAX, requireText } from '../../domain/validation.ts';
import { addIncidentComponents, findIncident, insertUpdate, updateIncidentState } from '../../storage/incident-repository.ts';
import { findComponentsByIdOrKey } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentChanges, Enum, MarkdownBody, Url } from '../shared/fields.ts';
import { applyComponentStatuses, releaseComponents, resolveComponentStatuses } from '../shared/apply-component-statuses.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from '../shared/incident-after-write.ts';
import { recordChange } from '../shared/record-change.ts';

/** What a responder (or the detector) sends to move an incident on: the API's request body, the console's update form. */
export const PostIncidentUpdateInput = Type.Object(
  {
    status: Type.Optional(Enum(INCIDENT_STATUSES)),
    body: MarkdownBody,
    impact: Type.Optional(Enum(IMPACTS.filter((i) => i !== 'maintenance'))),
    components: Type.Optional(ComponentChanges),
    deliver_notifications: Type.Optional(Type.Boolean({ default: true })),
    postmortem_url: Type.Optional(Url),
  },
  { additionalProperties: false },
);
export type PostIncidentUpdateInput = Static<typeof PostIncidentUpdateInput>;

/**
 * Adds an update to an incident's timeline, moving its status and component statuses.
 * Resolving lets go of the incident's components the update does not set: each takes the worst
 * status the other open incidents and maintenances in progress on it imply, or operational.
 */
export async function postIncidentUpdate(ctx: ServiceContext, incidentId: string, raw: unknown): Promise<IncidentAfterWrite> {
  authorize(ctx.actor, 'incident.update');
  const input = parseInput(PostIncidentUpdateInput, raw);
  const body = requireText('body', input.body, { max: BODY_MAX, multiline: true });
  const explicitImpact: Impact | undefined = input.impact;
  if (input.postmortem_url !== undefined && !/^https?:\/\/\S+$/.test(input.postmortem_url))
    throw new ValidationError('postmortem_url', 'must be an http(s) URL');
  const at = ctx.clock.now();

  return ctx.db.transaction(async (tx) => {
    const incident = await findIncident(tx, incidentId, 'incident', { forUpdate: true });
    if (!incident) throw new NotFoundError('incident', incidentId);
    const from = incident.status;
    const status: IncidentStatus = input.status ?? from;
    assertIncidentTransition(from, status);

    const changes = await resolveComponentStatuses(tx, input.components);
    if (status === 'resolved' && isUnresolved(from)) {
      const named = new Set(changes.map((c) => c.component.id));
      changes.push(
        ...(await releaseComponents(
          tx,
          incident.id,
          incident.component_ids.filter((id) => !named.has(id)),
        )),
      );
    }
    await addIncidentComponents(
      tx,
      incident.id,
      changes.map((c) => c.component.id),
    );
    // An update that moves no component still says which ones the incident affects (old = new), as Statuspage does.
    const unchanged =
      changes.length === 0 ? (await findComponentsByIdOrKey(tx, incident.component_ids)).map((component) => ({ component, status: component.status })) : [];
    const affected = await applyComponentStatuses(tx, changes.length > 0 ? changes : unchanged, at, incident.id);
    const impact = explicitImpact ?? incident.impact;
    await updateIncidentState(tx, {
      id: incident.id,
      status,
      impact,
      impact_override: explicitImpact,
      at,
      postmortem_url: input.postmortem_url,
      ...lifecycleTimestamps(status, at),
    });
    const updateId = ctx.ids.id();
    const deliver = input.deliver_notifications ?? true;
    await insertUpdate(tx, {
      id: updateId,
      incident_id: incident.id,
      status,
      body,
      affected_components: affected,
      deliver_notifications: deliver,
      created_by: ctx.actor.label,
      created_at: at,
    });
    const eventType = status === 'resolved' && from !== 'resolved' ? 'incident.resolved' : 'incident.updated';
    await recordChange(
      tx,
      ctx,
      {
        action: eventType,
        targetType: 'incident',
        targetId: incident.id,
        details: { status, impact, components: input.components ?? {} },
        event: {
          type: eventType,
          payload: {
            incident_id: incident.id,
            update_id: updateId,
            deliver_notifications: deliver,
            component_ids: [...new Set([...incident.component_ids, ...changes.map((c) => c.component.id)])],
          },
        },
      },
      at,
    );
    return readIncidentAfterWrite(tx, incident.id);
  });
}
