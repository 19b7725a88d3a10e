import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { assertMaintenanceTransition, lifecycleTimestamps } from '../../domain/incident-lifecycle.ts';
import type { Component } from '../../domain/model.ts';
import { MAINTENANCE_STATUSES, type ComponentStatus, type MaintenanceStatus } from '../../domain/status.ts';
import { BODY_MAX, requireOneOf, requireText } from '../../domain/validation.ts';
import { findIncident, insertUpdate, updateIncidentState } from '../../storage/incident-repository.ts';
import { findComponentsByIdOrKey } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { applyComponentStatuses, releaseComponents } from '../shared/apply-component-statuses.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from '../shared/incident-after-write.ts';
import { recordChange } from '../shared/record-change.ts';

const DEFAULT_BODIES: Partial<Record<MaintenanceStatus, string>> = {
  in_progress: 'Scheduled maintenance is currently in progress. We will provide updates as necessary.',
  verifying: 'Maintenance work is done and we are verifying the results.',
  completed: 'The scheduled maintenance has been completed.',
};

/**
 * What may come with a step (the API's optional request body); the step itself, the status to move
 * to, is named by the door (the API's path, the console's button, the scheduler) like the id.
 */
export const AdvanceMaintenanceInput = Type.Object(
  {
    body: Type.Optional(Type.String({ maxLength: BODY_MAX, description: 'Markdown; a standard message is used when omitted' })),
    deliver_notifications: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type AdvanceMaintenanceInput = Static<typeof AdvanceMaintenanceInput>;

/**
 * Moves a maintenance forward to `status` (in_progress, verifying, completed): starting puts its
 * components under maintenance; completing lets go of them, each taking the worst status the open
 * incidents on it imply, or operational.
 */
export async function advanceMaintenance(ctx: ServiceContext, id: string, to: string, raw: unknown = {}): Promise<IncidentAfterWrite> {
  authorize(ctx.actor, 'maintenance.advance');
  const status = requireOneOf(
    'status',
    to,
    MAINTENANCE_STATUSES.filter((s) => s !== 'scheduled'),
  );
  const input = parseInput(AdvanceMaintenanceInput, raw);
  const body =
    input.body === undefined || input.body.trim() === ''
      ? (DEFAULT_BODIES[status] as string)
      : requireText('body', input.body, { max: BODY_MAX, multiline: true });
  const at = ctx.clock.now();

  return ctx.db.transaction(async (tx) => {
    const maintenance = await findIncident(tx, id, 'maintenance', { forUpdate: true });
    if (!maintenance) throw new NotFoundError('maintenance', id);
    const from = maintenance.status;
    assertMaintenanceTransition(from, status);

    let changes: { component: Component; status: ComponentStatus }[] = [];
    if (from === 'scheduled' && status !== 'completed') {
      const components = await findComponentsByIdOrKey(tx, maintenance.component_ids, { forUpdate: true });
      changes = components.map((component) => ({ component, status: 'under_maintenance' }));
    }
    if (status === 'completed' && from !== 'scheduled') changes = await releaseComponents(tx, maintenance.id, maintenance.component_ids);
    const affected = await applyComponentStatuses(tx, changes, at, maintenance.id);
    await updateIncidentState(tx, {
      id: maintenance.id,
      status,
      impact: 'maintenance',
      at,
      ...lifecycleTimestamps(status, at),
      started_at: from === 'scheduled' ? at : undefined,
    });
    const updateId = ctx.ids.id();
    const deliver = input.deliver_notifications ?? true;
    await insertUpdate(tx, {
      id: updateId,
      incident_id: maintenance.id,
      status,
      body,
      affected_components: affected,
      deliver_notifications: deliver,
      created_by: ctx.actor.label,
      created_at: at,
    });
    const eventType = status === 'completed' ? 'maintenance.completed' : from === 'scheduled' ? 'maintenance.started' : 'maintenance.updated';
    await recordChange(
      tx,
      ctx,
      {
        action: eventType,
        targetType: 'maintenance',
        targetId: maintenance.id,
        details: { status },
        event: {
          type: eventType,
          payload: { incident_id: maintenance.id, update_id: updateId, deliver_notifications: deliver, component_ids: maintenance.component_ids },
        },
      },
      at,
    );
    return readIncidentAfterWrite(tx, maintenance.id);
  });
}
