import type { Component, ComponentGroup } from '../domain/model.ts';
import type { Queryable } from '../storage/database.ts';
import { findComponentsByIdOrKey, findGroup as findGroupRow, listComponents, listGroups } from '../storage/page-repository.ts';

/** The page's live groups and components, in page order: the component grids and structure editors. */
export async function loadPageStructure(db: Queryable): Promise<{ groups: Awaited<ReturnType<typeof listGroups>>; components: Component[] }> {
  const [groups, components] = await Promise.all([listGroups(db), listComponents(db)]);
  return { groups, components };
}

/** The page's live groups, in page order. */
export function loadGroups(db: Queryable): Promise<Awaited<ReturnType<typeof listGroups>>> {
  return listGroups(db);
}

/** The page's live components, in page order. */
export function loadComponents(db: Queryable): Promise<Component[]> {
  return listComponents(db);
}

/** One component by id or key, or null. */
export async function findComponent(db: Queryable, idOrKey: string): Promise<Component | null> {
  const [component] = await findComponentsByIdOrKey(db, [idOrKey]);
  return component ?? null;
}

/** One group by id or key, or null. */
export function findGroup(db: Queryable, idOrKey: string): Promise<ComponentGroup | null> {
  return findGroupRow(db, idOrKey);
}
