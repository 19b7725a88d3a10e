import { ConflictError } from '../../domain/errors.ts';
import { requireText } from '../../domain/validation.ts';
import {
  adoptUntouchedComponent,
  idsTaken,
  insertStatusHistory,
  listImported,
  recordImported,
  settleStatusesOnHistory,
} from '../../storage/import-repository.ts';
import { lockPageStructure } from '../../storage/locks.ts';
import { findPage, listComponents, listGroups, nextPosition, upsertComponent, upsertGroup } from '../../storage/page-repository.ts';
import { COMPONENT_NAME_MAX, DESCRIPTION_MAX } from '../../domain/validation.ts';
import { chooseKey } from '../components/structure-change.ts';
import type { ImportBatchComponent, ImportBatchGroup } from './statuspage-batch-input.ts';
import { idFor, keyFromName, type ImportScope } from './outcome.ts';

const description = (field: string, value: string | null): string | null =>
  value === null ? null : requireText(field, value, { max: DESCRIPTION_MAX, allowEmpty: true, multiline: true }) || null;

/**
 * Groups and components. Each is matched first by its Statuspage id (a re-run), then by the key its
 * name makes (`United States` → `united-states`; a grouped component `united-states-api`), so a
 * page already set up by hand or by the page definition file is joined rather than doubled. What
 * is new is created on a console-managed page; on a file-managed page the file owns the structure,
 * so the batch is refused with the entries to add to the file.
 *
 * A new component counts from its Statuspage creation: it exists (uptime bars) since then,
 * `operational` until the history says otherwise, and its present status is written at the time
 * of the import (the history of incidents, imported next, fills in between).
 */
export async function importStructure(scope: ImportScope, groups: ImportBatchGroup[], components: ImportBatchComponent[]): Promise<void> {
  const { tx, ctx, sourcePage, at, outcome } = scope;
  await lockPageStructure(tx);
  const page = await findPage(tx);
  if (!page) throw new ConflictError('the page is not set up yet: start Lifeline once first');
  const fromFile = page.components_from === 'file';
  const record = (kind: 'component_group' | 'component', sourceId: string, targetId: string) =>
    recordImported(tx, { source: 'statuspage', source_page: sourcePage, kind, source_id: sourceId, target_id: targetId, at });
  const missing: string[] = [];

  // ---- groups
  const knownGroups = await listImported(tx, 'statuspage', 'component_group');
  const liveGroups = await listGroups(tx);
  const groupIds = new Map(knownGroups);
  const takenGroupIds = await idsTaken(
    tx,
    'component_group',
    groups.map((g) => g.id),
  );
  let groupPosition = await nextPosition(tx, 'component_group');
  for (const [index, group] of [...groups.entries()].sort(([, a], [, b]) => a.position - b.position)) {
    const name = requireText(`groups.${index}.name`, group.name, { max: COMPONENT_NAME_MAX });
    const text = description(`groups.${index}.description`, group.description);
    if (knownGroups.has(group.id)) {
      outcome.existing.groups += 1;
      continue;
    }
    const live = liveGroups.find((g) => g.key === keyFromName(name, 'component_group'));
    if (live) {
      groupIds.set(group.id, live.id);
      await record('component_group', group.id, live.id);
      outcome.existing.groups += 1;
      continue;
    }
    if (fromFile) {
      missing.push(`group ${keyFromName(name, 'component_group')} (${JSON.stringify(name)})`);
      continue;
    }
    const id = idFor(ctx, group.id, takenGroupIds);
    const key = await chooseKey(tx, 'component_group', undefined, name);
    await upsertGroup(tx, { id, page_id: page.id, key, name, description: text, position: groupPosition++, at: new Date(group.created_at) });
    groupIds.set(group.id, id);
    await record('component_group', group.id, id);
    outcome.created.groups += 1;
  }
  const groupKeys = new Map((await listGroups(tx, { includeArchived: true })).map((g) => [g.id, g.key]));
  // On a file-managed page a group may be missing: its components are named under the key it would have.
  const wantedGroupKeys = new Map(groups.map((g) => [g.id, keyFromName(g.name.trim(), 'component_group')]));

  // ---- components
  const knownComponents = await listImported(tx, 'statuspage', 'component');
  const liveComponents = await listComponents(tx);
  const takenComponentIds = await idsTaken(
    tx,
    'component',
    components.map((c) => c.id),
  );
  let position = await nextPosition(tx, 'component');
  const touched: string[] = [];
  const history: Parameters<typeof insertStatusHistory>[1] = [];
  for (const [index, component] of [...components.entries()].sort(([, a], [, b]) => a.position - b.position)) {
    const name = requireText(`components.${index}.name`, component.name, { max: COMPONENT_NAME_MAX });
    const text = description(`components.${index}.description`, component.description);
    if (knownComponents.has(component.id)) {
      outcome.existing.components += 1;
      continue;
    }
    const groupId = component.group_id === null ? null : (groupIds.get(component.group_id) ?? null);
    if (component.group_id !== null && groupId === null && !fromFile) {
      outcome.skipped.push({ kind: 'components', id: component.id, reason: `its group ${component.group_id} is not in the import` });
      continue;
    }
    const groupKey = groupId === null ? (component.group_id === null ? null : wantedGroupKeys.get(component.group_id)) : groupKeys.get(groupId);
    const keyName = groupKey ? `${groupKey} ${name}` : name;
    const createdAt = new Date(component.created_at);
    const live = liveComponents.find((c) => c.key === keyFromName(keyName, 'component'));
    if (live) {
      await record('component', component.id, live.id);
      outcome.existing.components += 1;
      // Set up by the file and untouched since: it takes over the Statuspage component's history.
      if (await adoptUntouchedComponent(tx, live.id, createdAt)) {
        history.push({ component_id: live.id, status: 'operational', changed_at: createdAt, incident_id: null });
        history.push({ component_id: live.id, status: component.status, changed_at: at, incident_id: null });
        touched.push(live.id);
      }
      continue;
    }
    if (fromFile) {
      missing.push(`component ${keyFromName(keyName, 'component')} (${JSON.stringify(name)}${groupKey ? ` in group ${groupKey}` : ''})`);
      continue;
    }
    const id = idFor(ctx, component.id, takenComponentIds);
    const key = await chooseKey(tx, 'component', undefined, keyName);
    await upsertComponent(tx, {
      id,
      page_id: page.id,
      key,
      group_id: groupId,
      name,
      description: text,
      position: position++,
      only_show_if_degraded: component.only_show_if_degraded,
      start_date: component.start_date,
      at: createdAt,
    });
    history.push({ component_id: id, status: 'operational', changed_at: createdAt, incident_id: null });
    // Its status now, as of the import: the latest entry, whatever the incidents imported next say before it.
    history.push({ component_id: id, status: component.status, changed_at: at, incident_id: null });
    touched.push(id);
    await record('component', component.id, id);
    outcome.created.components += 1;
  }
  if (missing.length > 0) {
    throw new ConflictError(
      `this page's groups and components come from its definition file (page.components_from: file), which lacks: ${missing.join(', ')}. ` +
        'Add them to the file under these keys and restart (or set page.components_from: console), then run the import again',
    );
  }
  await insertStatusHistory(tx, history);
  await settleStatusesOnHistory(tx, touched, at);
}
