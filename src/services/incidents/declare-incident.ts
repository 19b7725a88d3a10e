import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { lifecycleTimestamps } from '../../domain/incident-lifecycle.ts';
import type { Incident } from '../../domain/model.ts';
import { IMPACTS, impactOfComponentStatuses, INCIDENT_STATUSES, type Impact, type IncidentStatus } from '../../domain/status.ts';
import { BODY_MAX, NAME_MAX, requireText } from '../../domain/validation.ts';
import { addIncidentComponents, insertIncident, insertUpdate, updateIncidentState } from '../../storage/incident-repository.ts';
import { findPage } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentChanges, Enum, IncidentName, MarkdownBody } from '../shared/fields.ts';
import { applyComponentStatuses, resolveComponentStatuses } from '../shared/apply-component-statuses.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from '../shared/incident-after-write.ts';
import { recordChange } from '../shared/record-change.ts';

const OPENING_STATUSES = INCIDENT_STATUSES.filter((s) => s !== 'postmortem');
const INCIDENT_IMPACTS = IMPACTS.filter((i) => i !== 'maintenance');

/** What a responder sends to open an incident: the API's request body, the console form's fields. */
export const DeclareIncidentInput = Type.Object(
  {
    name: IncidentName,
    status: Type.Optional(Enum(OPENING_STATUSES)),
    impact: Type.Optional(Enum(INCIDENT_IMPACTS, { description: 'computed from the component statuses when omitted' })),
    body: MarkdownBody,
    components: Type.Optional(ComponentChanges),
    deliver_notifications: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type DeclareIncidentInput = Static<typeof DeclareIncidentInput>;

/** Opens an incident with its first update and component statuses, in one transaction. */
export async function declareIncident(ctx: ServiceContext, raw: unknown, options: { source?: Incident['source'] } = {}): Promise<IncidentAfterWrite> {
  authorize(ctx.actor, 'incident.declare');
  const input = parseInput(DeclareIncidentInput, raw);
  const name = requireText('name', input.name, { max: NAME_MAX });
  const body = requireText('body', input.body, { max: BODY_MAX, multiline: true });
  const status: IncidentStatus = input.status ?? 'investigating';
  const explicitImpact: Impact | undefined = input.impact;
  const at = ctx.clock.now();
  const id = ctx.ids.id();

  return ctx.db.transaction(async (tx) => {
    const page = await findPage(tx);
    if (!page) throw new Error('the page has not been synced yet');
    const changes = await resolveComponentStatuses(tx, input.components);
    const impact = explicitImpact ?? impactOfComponentStatuses(changes.map((c) => c.status));
    await insertIncident(tx, {
      id,
      page_id: page.id,
      kind: 'incident',
      name,
      status,
      impact,
      impact_override: explicitImpact ?? null,
      source: options.source ?? 'responder',
      scheduled_for: null,
      scheduled_until: null,
      auto_start: false,
      auto_complete: false,
      started_at: at,
      at,
    });
    const stamps = lifecycleTimestamps(status, at);
    if (Object.keys(stamps).length > 0) await updateIncidentState(tx, { id, status, impact, at, ...stamps });
    await addIncidentComponents(
      tx,
      id,
      changes.map((c) => c.component.id),
    );
    const affected = await applyComponentStatuses(tx, changes, at, id);
    const updateId = ctx.ids.id();
    const deliver = input.deliver_notifications ?? true;
    await insertUpdate(tx, {
      id: updateId,
      incident_id: id,
      status,
      body,
      affected_components: affected,
      deliver_notifications: deliver,
      created_by: ctx.actor.label,
      created_at: at,
    });
    await recordChange(
      tx,
      ctx,
      {
        action: 'incident.created',
        targetType: 'incident',
        targetId: id,
        details: { name, status, impact, components: input.components ?? {} },
        event: {
          type: 'incident.created',
          payload: { incident_id: id, update_id: updateId, deliver_notifications: deliver, component_ids: changes.map((c) => c.component.id) },
        },
      },
      at,
    );
    return readIncidentAfterWrite(tx, id);
  });
}
