import type { PageDefinition } from '../../config.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import {
  archiveMissing,
  findPage,
  insertPage,
  setComponentStatus,
  touchPage,
  updatePage,
  upsertComponent,
  upsertGroup,
} from '../../storage/page-repository.ts';
import type { Transaction } from '../../storage/database.ts';
import { lockPageStructure } from '../../storage/locks.ts';
import type { ServiceContext } from '../context.ts';

/**
 * Makes the database match the page definition file: creates or updates the page, groups and
 * components by key, archives what the file no longer lists. Statuses and history are kept.
 * With `page.components_from: console` the file owns only the page itself: groups and components
 * are left to the console and API (the page-structure use-cases beside this file).
 */
export async function syncPageDefinition(ctx: ServiceContext, definition: PageDefinition): Promise<{ pageId: string; created: string[]; archived: string[] }> {
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    await lockPageStructure(tx);
    const page = {
      name: definition.page.name,
      url: definition.page.url ?? '',
      time_zone: definition.page.time_zone ?? 'Etc/UTC',
      components_from: definition.page.components_from ?? 'file',
      at,
    };
    const existing = await findPage(tx);
    const pageId = existing?.id ?? ctx.ids.id();
    if (existing) await updatePage(tx, { id: pageId, ...page });
    else await insertPage(tx, { id: pageId, ...page });

    // With `components_from: console` the groups and components are the console's and API's.
    const { created, archived } = page.components_from === 'file' ? await syncStructure(tx, ctx, definition, pageId, at) : { created: [], archived: [] };
    if (!existing || created.length > 0 || archived.length > 0) {
      await insertAudit(tx, { actor: ctx.actor.label, action: 'page.synced', target_type: 'page', target_id: pageId, details: { created, archived }, at });
    }
    await touchPage(tx, at);
    return { pageId, created, archived };
  });
}

/** Upserts the file's groups and components by key and archives what it no longer lists. */
async function syncStructure(
  tx: Transaction,
  ctx: ServiceContext,
  definition: PageDefinition,
  pageId: string,
  at: Date,
): Promise<{ created: string[]; archived: string[] }> {
  const created: string[] = [];
  const componentKeys: string[] = [];
  const groupKeys: string[] = [];
  let position = 0;
  const addComponent = async (component: NonNullable<PageDefinition['components']>[number], groupId: string | null) => {
    position += 1;
    componentKeys.push(component.key);
    const result = await upsertComponent(tx, {
      id: ctx.ids.id(),
      page_id: pageId,
      key: component.key,
      group_id: groupId,
      name: component.name,
      description: component.description ?? null,
      position,
      only_show_if_degraded: component.only_show_if_degraded ?? false,
      start_date: component.start_date ?? null,
      at,
    });
    if (result.created) {
      created.push(component.key);
      // The first history entry: uptime is counted from here.
      await setComponentStatus(tx, { id: result.id, status: 'operational', at, incidentId: null });
    }
  };
  for (const [index, group] of (definition.groups ?? []).entries()) {
    groupKeys.push(group.key);
    const groupId = await upsertGroup(tx, {
      id: ctx.ids.id(),
      page_id: pageId,
      key: group.key,
      name: group.name,
      description: group.description ?? null,
      position: index + 1,
      at,
    });
    for (const component of group.components) await addComponent(component, groupId);
  }
  for (const component of definition.components ?? []) await addComponent(component, null);

  const archived = [...(await archiveMissing(tx, 'component', componentKeys, at)), ...(await archiveMissing(tx, 'component_group', groupKeys, at))];
  return { created, archived };
}
