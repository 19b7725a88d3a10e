import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import type { Component, ComponentGroup } from '../../domain/model.ts';
import { requireText } from '../../domain/validation.ts';
import type { Queryable } from '../../storage/database.ts';
import { lockPageStructure } from '../../storage/locks.ts';
import { findComponentsByIdOrKey, findGroup, findPage, keyTaken, listComponents, setPositions, updateComponentFields } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { COMPONENT_NAME_MAX, DESCRIPTION_MAX } from '../../domain/validation.ts';

/**
 * What the page-structure use-cases (create, update and archive a group or a component) share.
 * They work on pages whose structure is managed in the console and API
 * (`page.components_from: console`). On a file-driven page they refuse with 409: the file is
 * synced at every start and would silently undo the edit.
 */

async function requireConsoleStructure(db: Queryable): Promise<string> {
  const page = await findPage(db);
  if (!page) throw new ConflictError('the page is not set up yet');
  if (page.components_from !== 'console') {
    throw new ConflictError(
      'groups and components come from the page definition file (page.components_from: file): edit the file and restart, or set page.components_from: console to manage them here',
    );
  }
  return page.id;
}

/** Runs a structure edit in one transaction, serialized with the others, on a console-managed page. */
export function structureChange<T>(ctx: ServiceContext, edit: (tx: Queryable, pageId: string, at: Date) => Promise<T>): Promise<T> {
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    // The lock the page-definition sync takes: structure changes never interleave with it or each other.
    await lockPageStructure(tx);
    return edit(tx, await requireConsoleStructure(tx), at);
  });
}

export async function requireGroup(tx: Queryable, idOrKey: string): Promise<ComponentGroup> {
  const group = await findGroup(tx, idOrKey, { forUpdate: true });
  if (!group) throw new NotFoundError('component group', idOrKey);
  return group;
}

export async function requireComponent(tx: Queryable, idOrKey: string): Promise<Component> {
  const [component] = await findComponentsByIdOrKey(tx, [idOrKey], { forUpdate: true });
  if (!component) throw new NotFoundError('component', idOrKey);
  return component;
}

/** A name past the contract's check: trimmed, visible, no control characters. */
export const structureName = (value: string) => requireText('name', value, { max: COMPONENT_NAME_MAX });

/** A description as stored: null for none (null, missing or only spaces). */
export function optionalDescription(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const text = requireText('description', value, { max: DESCRIPTION_MAX, allowEmpty: true, multiline: true });
  return text === '' ? null : text;
}

/** Name and description after an edit: missing fields keep their value. */
export function editedText(input: { name?: string; description?: string | null }, current: { name: string; description: string | null }) {
  return {
    name: input.name === undefined ? current.name : structureName(input.name),
    description: input.description === undefined ? current.description : optionalDescription(input.description),
  };
}

/**
 * The key asked for (its form is the contract's), or one made from the name. Groups and
 * components share one namespace, so a key is never both.
 */
export async function chooseKey(db: Queryable, table: 'component' | 'component_group', requested: string | undefined, name: string): Promise<string> {
  const taken = async (key: string) => (await keyTaken(db, 'component', key)) || (await keyTaken(db, 'component_group', key));
  if (requested !== undefined && requested !== '') {
    if (await taken(requested)) throw new ValidationError('key', `"${requested}" is already used`);
    return requested;
  }
  const base =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || (table === 'component' ? 'component' : 'group');
  for (let n = 1; ; n += 1) {
    const key = n === 1 ? base : `${base}-${n}`;
    if (!(await taken(key))) return key;
  }
}

/** A 1-based place among `count` siblings (the contract makes it a whole number from 1); past the end is last. */
export const placeAmong = (position: number | undefined, count: number): number | undefined => (position === undefined ? undefined : Math.min(position, count));

/** Puts `id` at a 1-based place among `siblings` (ordered) and renumbers them 1..n. */
export async function reorder(db: Queryable, table: 'component' | 'component_group', siblingIds: string[], id: string, place: number, at: Date): Promise<void> {
  const order = siblingIds.filter((other) => other !== id);
  order.splice(place - 1, 0, id);
  await setPositions(
    db,
    table,
    order,
    order.map((_, index) => index + 1),
    at,
  );
}

/** A group reference (id or key) as a group id; null, missing or '' for no group. */
export async function resolveGroupId(db: Queryable, ref: string | null | undefined): Promise<string | null> {
  if (ref === undefined || ref === null || ref === '') return null;
  const group = await findGroup(db, ref);
  if (!group) throw new ValidationError('group_id', 'no such group');
  return group.id;
}

/** The ids of a group's components (or the ungrouped ones), in page order. */
export const siblingsOf = async (db: Queryable, groupId: string | null) => (await listComponents(db)).filter((c) => c.group_id === groupId).map((c) => c.id);

/**
 * Makes `refs` (component ids or keys, in order) a group's members, as Statuspage's
 * `component_group.components` does: listed components move into the group in that order; the
 * group's other components leave it, last among the ungrouped ones. Returns the member ids.
 */
export async function setGroupMembers(db: Queryable, groupId: string, refs: string[], at: Date): Promise<string[]> {
  const found = await findComponentsByIdOrKey(db, refs, { forUpdate: true });
  const members: string[] = [];
  for (const ref of refs) {
    const component = found.find((c) => c.id === ref || c.key === ref);
    if (!component) throw new ValidationError(`components.${ref}`, 'no such component');
    if (!members.includes(component.id)) members.push(component.id);
  }
  const all = await listComponents(db);
  const joining = all.filter((c) => members.includes(c.id) && c.group_id !== groupId);
  const leaving = all.filter((c) => c.group_id === groupId && !members.includes(c.id));
  for (const component of joining) await updateComponentFields(db, component.id, { ...component, group_id: groupId, at });
  for (const component of leaving) await updateComponentFields(db, component.id, { ...component, group_id: null, at });
  const ungrouped = [...all.filter((c) => c.group_id === null && !members.includes(c.id)), ...leaving].map((c) => c.id);
  for (const order of [members, ungrouped]) {
    await setPositions(
      db,
      'component',
      order,
      order.map((_, index) => index + 1),
      at,
    );
  }
  return members;
}
