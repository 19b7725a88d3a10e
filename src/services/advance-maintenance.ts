import { NotFoundError } from '../domain/errors.ts';
import { assertMaintenanceTransition, lifecycleTimestamps } from '../domain/incident-lifecycle.ts';
import { MAINTENANCE_STATUSES, type ComponentStatus, type MaintenanceStatus } from '../domain/status.ts';
import { BODY_MAX, requireOneOf, requireText } from '../domain/validation.ts';
import { componentsHeldElsewhere, findIncident, insertUpdate, updateIncidentState } from '../storage/incident-repository.ts';
import { findComponentsByIdOrKey } from '../storage/page-repository.ts';
import type { ServiceContext } from './context.ts';
import { applyComponentStatuses } from './shared/apply-component-statuses.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from './shared/incident-after-write.ts';
import { recordChange } from './shared/record-change.ts';

const DEFAULT_BODIES: Partial<Record<MaintenanceStatus, string>> = {
  in_progress: 'Scheduled maintenance is currently in progress. We will provide updates as necessary.',
  verifying: 'Maintenance work is done and we are verifying the results.',
  completed: 'The scheduled maintenance has been completed.',
};

/**
 * Moves a maintenance forward: starting puts its components under maintenance, completing puts
 * them back to operational (unless an open incident holds them).
 */
export async function advanceMaintenance(ctx: ServiceContext, id: string, input: { status: string; body?: string; deliver_notifications?: boolean }): Promise<IncidentAfterWrite> {
  const status = requireOneOf('status', input.status, MAINTENANCE_STATUSES.filter((s) => s !== 'scheduled'));
  const body = input.body === undefined || input.body.trim() === '' ? (DEFAULT_BODIES[status] as string) : requireText('body', input.body, { max: BODY_MAX, multiline: true });
  const at = ctx.clock.now();

  return ctx.db.transaction(async (tx) => {
    const maintenance = await findIncident(tx, id, 'maintenance', { forUpdate: true });
    if (!maintenance) throw new NotFoundError('maintenance', id);
    const from = maintenance.status as MaintenanceStatus;
    assertMaintenanceTransition(from, status);

    let target: ComponentStatus | null = null;
    let componentIds = maintenance.component_ids;
    if (from === 'scheduled' && status !== 'completed') target = 'under_maintenance';
    if (status === 'completed' && from !== 'scheduled') {
      target = 'operational';
      const held = await componentsHeldElsewhere(tx, maintenance.id, componentIds);
      componentIds = componentIds.filter((c) => !held.has(c));
    }
    const components = target ? await findComponentsByIdOrKey(tx, componentIds, { forUpdate: true }) : [];
    const affected = await applyComponentStatuses(tx, components.map((component) => ({ component, status: target as ComponentStatus })), at, maintenance.id);
    await updateIncidentState(tx, {
      id: maintenance.id, status, impact: 'maintenance', at, ...lifecycleTimestamps(status, at), started_at: from === 'scheduled' ? at : undefined,
    });
    const updateId = ctx.ids.id();
    const deliver = input.deliver_notifications ?? true;
    await insertUpdate(tx, { id: updateId, incident_id: maintenance.id, status, body, affected_components: affected, deliver_notifications: deliver, created_by: ctx.actor, created_at: at });
    const eventType = status === 'completed' ? 'maintenance.completed' : from === 'scheduled' ? 'maintenance.started' : 'maintenance.updated';
    await recordChange(tx, ctx, {
      action: eventType, targetType: 'maintenance', targetId: maintenance.id, details: { status },
      event: { type: eventType, payload: { incident_id: maintenance.id, update_id: updateId, deliver_notifications: deliver, component_ids: maintenance.component_ids } },
    }, at);
    return readIncidentAfterWrite(tx, maintenance.id);
  });
}
