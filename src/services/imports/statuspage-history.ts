import { ValidationError } from '../../domain/errors.ts';
import type { AffectedComponent } from '../../domain/model.ts';
import { INCIDENT_STATUSES, MAINTENANCE_STATUSES, type IncidentStatus, type MaintenanceStatus } from '../../domain/status.ts';
import { BODY_MAX, NAME_MAX, requireText } from '../../domain/validation.ts';
import { findImported, idsTaken, insertStatusHistory, listImported, recordImported, settleStatusesOnHistory } from '../../storage/import-repository.ts';
import { addIncidentComponents, insertIncident, insertUpdate, updateIncidentState } from '../../storage/incident-repository.ts';
import { findPage } from '../../storage/page-repository.ts';
import { ConflictError } from '../../domain/errors.ts';
import type { ImportBatchIncident } from './statuspage-batch-input.ts';
import { idFor, type ImportScope } from './outcome.ts';

type AnyStatus = IncidentStatus | MaintenanceStatus;
const isIncidentStatus = (status: string): status is IncidentStatus => (INCIDENT_STATUSES as readonly string[]).includes(status);
const isMaintenanceStatus = (status: string): status is MaintenanceStatus => (MAINTENANCE_STATUSES as readonly string[]).includes(status);

/** The statuses of its own kind, or a ValidationError naming the field. */
function statusOfKind(field: string, kind: ImportBatchIncident['kind'], status: AnyStatus): AnyStatus {
  const fits = kind === 'incident' ? isIncidentStatus(status) : isMaintenanceStatus(status);
  if (!fits)
    throw new ValidationError(
      field,
      `must be one of ${(kind === 'incident' ? INCIDENT_STATUSES : MAINTENANCE_STATUSES).join(', ')} for ${kind === 'incident' ? 'an incident' : 'a maintenance'}`,
    );
  return status;
}

/**
 * Incidents and maintenances with every update, at their own times. Each update's component
 * changes (`affected_components`, the only component history Statuspage's API gives) become status
 * history at the update's display time, so the uptime bars read as they did there. A re-run adds
 * the updates posted since and then takes the incident's state from the source; an incident with
 * nothing new is left as it is (it may have moved on in Lifeline since).
 */
export async function importHistory(scope: ImportScope, incidents: ImportBatchIncident[]): Promise<void> {
  const { tx, ctx, sourcePage, at, outcome } = scope;
  const page = await findPage(tx);
  if (!page) throw new ConflictError('the page is not set up yet: start Lifeline once first');
  const components = await listImported(tx, 'statuspage', 'component');
  const incidentIds = incidents.map((i) => i.id);
  const updateIds = incidents.flatMap((i) => i.updates.map((u) => u.id));
  // One statement at a time: a transaction is one connection.
  const knownIncidents = await findImported(tx, 'statuspage', 'incident', incidentIds);
  const knownUpdates = await findImported(tx, 'statuspage', 'incident_update', updateIds);
  const takenIncidentIds = await idsTaken(tx, 'incident', incidentIds);
  const takenUpdateIds = await idsTaken(tx, 'incident_update', updateIds);
  const record = (kind: 'incident' | 'incident_update', sourceId: string, targetId: string) =>
    recordImported(tx, { source: 'statuspage', source_page: sourcePage, kind, source_id: sourceId, target_id: targetId, at });
  const history: Parameters<typeof insertStatusHistory>[1] = [];
  const touched = new Set<string>();

  for (const [index, incident] of incidents.entries()) {
    const field = `incidents.${index}`;
    const name = requireText(`${field}.name`, incident.name, { max: NAME_MAX });
    const status = statusOfKind(`${field}.status`, incident.kind, incident.status);
    const createdAt = new Date(incident.created_at);
    const window =
      incident.kind === 'maintenance'
        ? {
            from: incident.scheduled_for === null ? null : new Date(incident.scheduled_for),
            until: incident.scheduled_until === null ? null : new Date(incident.scheduled_until),
          }
        : { from: null, until: null };
    if (incident.kind === 'maintenance' && (window.from === null || window.until === null)) {
      throw new ValidationError(`${field}.${window.from === null ? 'scheduled_for' : 'scheduled_until'}`, 'is required for a maintenance');
    }
    // Oldest first: insertion order breaks ties between updates shown at the same instant.
    const updates = [...incident.updates.entries()].sort(
      ([, a], [, b]) => Date.parse(a.display_at) - Date.parse(b.display_at) || Date.parse(a.created_at) - Date.parse(b.created_at),
    );
    const checked = updates.map(([updateIndex, update]) => ({
      update,
      status: statusOfKind(`${field}.updates.${updateIndex}.status`, incident.kind, update.status),
      body: requireText(`${field}.updates.${updateIndex}.body`, update.body, { max: BODY_MAX, multiline: true }),
      names: update.affected_components.map((change, changeIndex) =>
        requireText(`${field}.updates.${updateIndex}.affected_components.${changeIndex}.name`, change.name, { max: NAME_MAX }),
      ),
    }));

    let id = knownIncidents.get(incident.id);
    if (id === undefined) {
      id = idFor(ctx, incident.id, takenIncidentIds);
      await insertIncident(tx, {
        id,
        page_id: page.id,
        kind: incident.kind,
        name,
        status,
        impact: incident.impact,
        impact_override: incident.impact_override ?? null,
        source: 'responder',
        scheduled_for: window.from,
        scheduled_until: window.until,
        // Only for a window still ahead: a start or end already past would be run at once, and announced.
        auto_start: incident.auto_start && window.from !== null && window.from > at,
        auto_complete: incident.auto_complete && window.until !== null && window.until > at,
        started_at: new Date(incident.started_at ?? incident.created_at),
        at: createdAt,
      });
      await record('incident', incident.id, id);
      outcome.created.incidents += 1;
    } else {
      outcome.existing.incidents += 1;
    }

    let added = 0;
    let unknownComponents = 0;
    for (const { update, status: updateStatus, body, names } of checked) {
      if (knownUpdates.has(update.id)) {
        outcome.existing.updates += 1;
        continue;
      }
      const displayAt = new Date(update.display_at);
      const affected: AffectedComponent[] = [];
      for (const [changeIndex, change] of update.affected_components.entries()) {
        const componentId = components.get(change.code);
        if (componentId === undefined) {
          unknownComponents += 1;
          continue;
        }
        affected.push({ code: componentId, name: names[changeIndex], old_status: change.old_status, new_status: change.new_status });
        if (change.old_status !== change.new_status) {
          history.push({ component_id: componentId, status: change.new_status, changed_at: displayAt, incident_id: id });
          touched.add(componentId);
        }
      }
      const updateId = idFor(ctx, update.id, takenUpdateIds);
      await insertUpdate(tx, {
        id: updateId,
        incident_id: id,
        status: updateStatus,
        body,
        affected_components: affected,
        deliver_notifications: update.deliver_notifications,
        created_by: ctx.actor.label,
        created_at: new Date(update.created_at),
        display_at: displayAt,
      });
      await record('incident_update', update.id, updateId);
      outcome.created.updates += 1;
      added += 1;
    }
    if (unknownComponents > 0) {
      outcome.skipped.push({
        kind: 'updates',
        id: incident.id,
        reason: `${unknownComponents} component change(s) name components that are not in the import (deleted on Statuspage): left out of the timeline and the uptime history`,
      });
    }
    const mapped = incident.component_ids.map((ref) => components.get(ref)).filter((ref): ref is string => ref !== undefined);
    await addIncidentComponents(tx, id, mapped);
    if (added > 0 || !knownIncidents.has(incident.id)) {
      // Closed means resolved_at is set (the open lists read it), whatever the source left empty; open means it is not.
      const closed = status === 'resolved' || status === 'postmortem' || status === 'completed';
      const lastShown = checked.at(-1)?.update.display_at ?? incident.updated_at;
      const resolvedAt = closed ? (incident.resolved_at ?? lastShown) : null;
      await updateIncidentState(tx, {
        id,
        status,
        impact: incident.impact,
        ...(incident.impact_override ? { impact_override: incident.impact_override } : {}),
        at: new Date(incident.updated_at),
        ...(incident.monitoring_at === null ? {} : { monitoring_at: new Date(incident.monitoring_at) }),
        ...(resolvedAt === null ? {} : { resolved_at: new Date(resolvedAt) }),
        ...(incident.started_at === null ? {} : { started_at: new Date(incident.started_at) }),
      });
    }
  }
  await insertStatusHistory(tx, history);
  await settleStatusesOnHistory(tx, [...touched], at);
}
