import { ValidationError } from '../../domain/errors.ts';
import type { AffectedComponent, Component } from '../../domain/model.ts';
import { COMPONENT_STATUSES, worstComponentStatus, type ComponentStatus } from '../../domain/status.ts';
import type { Queryable } from '../../storage/database.ts';
import { statusesImpliedByOtherHolders } from '../../storage/incident-repository.ts';
import { findComponentsByIdOrKey, listGroups, setComponentStatus } from '../../storage/page-repository.ts';

/**
 * Checks a `{component id or key: status}` map from a request and resolves it to components.
 * `field` is how the map was named in the request, for error messages.
 */
export async function resolveComponentStatuses(
  db: Queryable,
  requested: Record<string, string> | undefined,
  field = 'components',
): Promise<{ component: Component; status: ComponentStatus }[]> {
  const entries = Object.entries(requested ?? {});
  for (const [ref, status] of entries) {
    if (!(COMPONENT_STATUSES as readonly string[]).includes(status)) {
      throw new ValidationError(`${field}.${ref}`, `must be one of ${COMPONENT_STATUSES.join(', ')}`);
    }
  }
  const found = await findComponentsByIdOrKey(
    db,
    entries.map(([ref]) => ref),
    { forUpdate: true },
  );
  const resolved: { component: Component; status: ComponentStatus }[] = [];
  for (const [ref, status] of entries) {
    const component = found.find((c) => c.id === ref || c.key === ref);
    if (!component) throw new ValidationError(`${field}.${ref}`, 'no such component (use an id from /api/v2/components.json)');
    resolved.push({ component, status: status as ComponentStatus });
  }
  return resolved;
}

/**
 * Writes the new statuses and their history; returns the changes as Statuspage lists them: a
 * component inside a group is named "<group> - <component>", so three "Messaging" components in
 * three regions stay apart in an update (and in every notice and feed built from it).
 */
export async function applyComponentStatuses(
  db: Queryable,
  changes: { component: Component; status: ComponentStatus }[],
  at: Date,
  incidentId: string | null,
): Promise<AffectedComponent[]> {
  const groupNames = changes.some(({ component }) => component.group_id !== null)
    ? new Map((await listGroups(db, { includeArchived: true })).map((group) => [group.id, group.name]))
    : new Map<string, string>();
  const affected: AffectedComponent[] = [];
  for (const { component, status } of changes) {
    const group = component.group_id === null ? undefined : groupNames.get(component.group_id);
    affected.push({ code: component.id, name: group ? `${group} - ${component.name}` : component.name, old_status: component.status, new_status: status });
    if (component.status !== status) await setComponentStatus(db, { id: component.id, status, at, incidentId });
  }
  return affected;
}

/**
 * The changes for components an incident or maintenance lets go of (it resolves or completes): each
 * takes the worst status its remaining holders imply, operational when none is left. Statuspage has
 * no holders, only the latest word; this keeps a resolution from hiding what another open incident
 * or a maintenance in progress still says about the component. Unchanged components are left out.
 */
export async function releaseComponents(
  db: Queryable,
  releasingId: string,
  componentIds: string[],
): Promise<{ component: Component; status: ComponentStatus }[]> {
  // Locked before reading the other holders, so a holder's concurrent update is seen, not overwritten.
  const components = await findComponentsByIdOrKey(db, componentIds, { forUpdate: true });
  const implied = await statusesImpliedByOtherHolders(db, releasingId, componentIds);
  return components
    .map((component) => ({ component, status: worstComponentStatus(implied.get(component.id) ?? []) }))
    .filter(({ component, status }) => component.status !== status);
}
