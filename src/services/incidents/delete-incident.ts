import { authorize } from '../../domain/actor.ts';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import { isUnresolved } from '../../domain/incident-lifecycle.ts';
import type { Incident } from '../../domain/model.ts';
import { withdrawIncidentNotices } from '../../storage/delivery-repository.ts';
import { findIncident, markIncidentDeleted } from '../../storage/incident-repository.ts';
import type { ServiceContext } from '../context.ts';
import { applyComponentStatuses, releaseComponents } from '../shared/apply-component-statuses.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from '../shared/incident-after-write.ts';
import { recordChange } from '../shared/record-change.ts';

/** Whether the incident or maintenance still sets its components' statuses (open, or a maintenance under way). */
function holdsComponents(incident: Incident): boolean {
  if (incident.kind === 'incident') return isUnresolved(incident.status);
  return incident.status === 'in_progress' || incident.status === 'verifying';
}

/**
 * Deletes an incident or maintenance, as Statuspage's DELETE does: it leaves every public document,
 * list, feed and history page, and nobody is notified (notices about it not yet sent are withdrawn).
 * The components it still held take what the other open incidents and maintenances under way say
 * of them, or operational. The row stays (soft delete, migration 012), so the audit row naming it,
 * its updates and its delivery records keep their subject. `kind` is which one the door deletes,
 * each with its own capability. Answers the incident as it was just before it went.
 */
export async function deleteIncident(ctx: ServiceContext, id: string, kind: Incident['kind']): Promise<IncidentAfterWrite> {
  authorize(ctx.actor, kind === 'maintenance' ? 'maintenance.delete' : 'incident.delete');
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const incident = await findIncident(tx, id, kind, { forUpdate: true });
    if (!incident) throw new NotFoundError(kind, id);
    // The detector still follows an open automatic notice; dismissing it tells the detector too.
    if (incident.source === 'heartbeat' && holdsComponents(incident)) {
      throw new ConflictError('this automatic notice is still open: dismiss it (a false alarm) or take it over and resolve it first');
    }
    const released = holdsComponents(incident) ? await releaseComponents(tx, incident.id, incident.component_ids) : [];
    // The component history says who moved them; the incident's own timeline gets no update.
    await applyComponentStatuses(tx, released, at, incident.id);
    const deleted = await readIncidentAfterWrite(tx, incident.id);
    await markIncidentDeleted(tx, incident.id, at);
    await withdrawIncidentNotices(tx, incident.id, `${kind} deleted`, at);
    await recordChange(
      tx,
      ctx,
      {
        action: `${kind}.deleted`,
        targetType: kind,
        targetId: incident.id,
        details: {
          name: incident.name,
          status: incident.status,
          created_at: incident.created_at.toISOString(),
          released: Object.fromEntries(released.map(({ component, status }) => [component.id, status])),
        },
      },
      at,
    );
    return deleted;
  });
}
