import { authorize } from '../../domain/actor.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import type { Component, ComponentGroup } from '../../domain/model.ts';
import { COMPONENT_STATUSES, type ComponentStatus } from '../../domain/status.ts';
import { requireOneOf, requireText } from '../../domain/validation.ts';
import type { Queryable } from '../../storage/database.ts';
import { lockPageStructure } from '../../storage/locks.ts';
import {
  archiveComponent as archiveComponentRow, archiveGroup, findComponentsByIdOrKey, findGroup, findPage, keyTaken, listComponents, listGroups,
  nextPosition, openIncidentsAffecting, setComponentStatus, setPositions, updateComponentFields, updateGroupFields, upsertComponent, upsertGroup,
} from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { recordChange } from '../shared/record-change.ts';

/**
 * Groups and components for pages whose structure is managed in the console and API
 * (`page.components_from: console`). On a file-driven page these refuse with 409: the file is
 * synced at every start and would silently undo the edit.
 */

export interface GroupInput {
  name?: string;
  description?: string | null;
  /** create only: stable identifier; made from the name when missing */
  key?: string;
  /** 1-based place among the groups */
  position?: number;
}

export interface ComponentInput {
  name?: string;
  description?: string | null;
  /** group id or key; null or '' for no group */
  group_id?: string | null;
  only_show_if_degraded?: boolean;
  /** 1-based place within its group (or among the ungrouped components) */
  position?: number;
  /** create only */
  key?: string;
  /** create only: the starting status (default operational) */
  status?: string;
}

const KEY_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

async function requireConsoleStructure(db: Queryable): Promise<string> {
  const page = await findPage(db);
  if (!page) throw new ConflictError('the page is not set up yet');
  if (page.components_from !== 'console') {
    throw new ConflictError('groups and components come from the page definition file (page.components_from: file): edit the file and restart, or set page.components_from: console to manage them here');
  }
  return page.id;
}

/** Runs a structure edit in one transaction, serialized with the others, on a console-managed page. */
function structureChange<T>(ctx: ServiceContext, edit: (tx: Queryable, pageId: string, at: Date) => Promise<T>): Promise<T> {
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    // The lock the page-definition sync takes: structure changes never interleave with it or each other.
    await lockPageStructure(tx);
    return edit(tx, await requireConsoleStructure(tx), at);
  });
}

async function requireGroup(tx: Queryable, idOrKey: string): Promise<ComponentGroup> {
  const group = await findGroup(tx, idOrKey, { forUpdate: true });
  if (!group) throw new NotFoundError('component group', idOrKey);
  return group;
}

async function requireComponent(tx: Queryable, idOrKey: string): Promise<Component> {
  const [component] = await findComponentsByIdOrKey(tx, [idOrKey], { forUpdate: true });
  if (!component) throw new NotFoundError('component', idOrKey);
  return component;
}

/** Name and description after an edit (missing fields keep their value); the key never changes. */
function editedText(input: { key?: string; name?: string; description?: string | null }, current: { key: string; name: string; description: string | null }) {
  if (input.key !== undefined && input.key !== current.key) throw new ValidationError('key', 'cannot be changed: API clients and subscribers refer to it');
  return {
    name: input.name === undefined ? current.name : requireText('name', input.name, { max: 120 }),
    description: input.description === undefined ? current.description : optionalDescription(input.description),
  };
}

const optionalDescription = (value: string | null | undefined) => {
  if (value === undefined || value === null) return null;
  const text = requireText('description', value, { max: 500, allowEmpty: true, multiline: true });
  return text === '' ? null : text;
};

/** The key asked for (checked), or one made from the name that no group or component has used. */
async function chooseKey(db: Queryable, table: 'component' | 'component_group', requested: string | undefined, name: string): Promise<string> {
  if (requested !== undefined && requested !== '') {
    if (!KEY_PATTERN.test(requested)) throw new ValidationError('key', 'must be lowercase letters, digits and dashes, starting with a letter or digit (at most 63)');
    if ((await keyTaken(db, 'component', requested)) || (await keyTaken(db, 'component_group', requested))) throw new ValidationError('key', `"${requested}" is already used`);
    return requested;
  }
  const base = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || (table === 'component' ? 'component' : 'group');
  for (let n = 1; ; n += 1) {
    const key = n === 1 ? base : `${base}-${n}`;
    if (!(await keyTaken(db, 'component', key)) && !(await keyTaken(db, 'component_group', key))) return key;
  }
}

function requirePosition(value: number | undefined, count: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new ValidationError('position', 'must be a whole number from 1');
  return Math.min(value, count);
}

/** Puts `id` at a 1-based place among `siblings` (ordered) and renumbers them 1..n. */
async function reorder(db: Queryable, table: 'component' | 'component_group', siblingIds: string[], id: string, place: number, at: Date): Promise<void> {
  const order = siblingIds.filter((other) => other !== id);
  order.splice(place - 1, 0, id);
  await setPositions(db, table, order, order.map((_, index) => index + 1), at);
}

export async function createComponentGroup(ctx: ServiceContext, input: GroupInput): Promise<ComponentGroup> {
  authorize(ctx.actor, 'page_structure.edit');
  const name = requireText('name', input.name, { max: 120 });
  const description = optionalDescription(input.description);
  return structureChange(ctx, async (tx, pageId, at) => {
    const key = await chooseKey(tx, 'component_group', input.key, name);
    const groups = await listGroups(tx);
    const id = await upsertGroup(tx, { id: ctx.ids.id(), page_id: pageId, key, name, description, position: await nextPosition(tx, 'component_group'), at });
    const place = requirePosition(input.position, groups.length + 1);
    if (place !== undefined) await reorder(tx, 'component_group', [...groups.map((g) => g.id), id], id, place, at);
    await recordChange(tx, ctx, { action: 'component_group.created', targetType: 'component_group', targetId: id, details: { key, name } }, at);
    return (await findGroup(tx, id))!;
  });
}

export async function updateComponentGroup(ctx: ServiceContext, idOrKey: string, input: GroupInput): Promise<ComponentGroup> {
  authorize(ctx.actor, 'page_structure.edit');
  return structureChange(ctx, async (tx, _pageId, at) => {
    const group = await requireGroup(tx, idOrKey);
    const { name, description } = editedText(input, group);
    const groups = await listGroups(tx);
    const place = requirePosition(input.position, groups.length);
    await updateGroupFields(tx, group.id, { name, description, at });
    if (place !== undefined) await reorder(tx, 'component_group', groups.map((g) => g.id), group.id, place, at);
    await recordChange(tx, ctx, { action: 'component_group.edited', targetType: 'component_group', targetId: group.id, details: { name, position: place ?? null } }, at);
    return (await findGroup(tx, group.id))!;
  });
}

/** Archives a group; its components stay on the page without a group. */
export async function archiveComponentGroup(ctx: ServiceContext, idOrKey: string): Promise<{ id: string; ungrouped: string[] }> {
  authorize(ctx.actor, 'page_structure.edit');
  return structureChange(ctx, async (tx, _pageId, at) => {
    const group = await requireGroup(tx, idOrKey);
    const ungrouped = await archiveGroup(tx, group.id, at);
    await recordChange(tx, ctx, { action: 'component_group.archived', targetType: 'component_group', targetId: group.id, details: { key: group.key, ungrouped } }, at);
    return { id: group.id, ungrouped };
  });
}

async function resolveGroupId(db: Queryable, ref: string | null | undefined): Promise<string | null> {
  if (ref === undefined || ref === null || ref === '') return null;
  const group = await findGroup(db, ref);
  if (!group) throw new ValidationError('group_id', 'no such group');
  return group.id;
}

const siblingsOf = async (db: Queryable, groupId: string | null) => (await listComponents(db)).filter((c) => c.group_id === groupId).map((c) => c.id);

export async function createComponent(ctx: ServiceContext, input: ComponentInput): Promise<Component> {
  authorize(ctx.actor, 'page_structure.edit');
  const name = requireText('name', input.name, { max: 120 });
  const description = optionalDescription(input.description);
  const status: ComponentStatus = input.status === undefined || input.status === '' ? 'operational' : requireOneOf('status', input.status, COMPONENT_STATUSES);
  return structureChange(ctx, async (tx, pageId, at) => {
    const groupId = await resolveGroupId(tx, input.group_id);
    const key = await chooseKey(tx, 'component', input.key, name);
    const siblings = await siblingsOf(tx, groupId);
    const { id } = await upsertComponent(tx, {
      id: ctx.ids.id(), page_id: pageId, key, group_id: groupId, name, description, position: await nextPosition(tx, 'component'),
      only_show_if_degraded: input.only_show_if_degraded ?? false, start_date: null, at,
    });
    // The first history entry: uptime is counted from here.
    await setComponentStatus(tx, { id, status, at, incidentId: null });
    const place = requirePosition(input.position, siblings.length + 1);
    if (place !== undefined) await reorder(tx, 'component', [...siblings, id], id, place, at);
    await recordChange(tx, ctx, { action: 'component.created', targetType: 'component', targetId: id, details: { key, name, group_id: groupId, status } }, at);
    return (await findComponentsByIdOrKey(tx, [id]))[0];
  });
}

/** Renames, regroups, reorders or changes what a component shows; its status has its own use-case. */
export async function updateComponent(ctx: ServiceContext, idOrKey: string, input: ComponentInput): Promise<Component> {
  authorize(ctx.actor, 'page_structure.edit');
  return structureChange(ctx, async (tx, _pageId, at) => {
    const component = await requireComponent(tx, idOrKey);
    const { name, description } = editedText(input, component);
    const onlyShowIfDegraded = input.only_show_if_degraded ?? component.only_show_if_degraded;
    const groupId = input.group_id === undefined ? component.group_id : await resolveGroupId(tx, input.group_id);
    const siblings = await siblingsOf(tx, groupId);
    const moved = groupId !== component.group_id;
    const count = moved ? siblings.length + 1 : siblings.length;
    const place = requirePosition(input.position, count) ?? (moved ? count : undefined);
    await updateComponentFields(tx, component.id, { name, description, group_id: groupId, only_show_if_degraded: onlyShowIfDegraded, at });
    if (place !== undefined) await reorder(tx, 'component', moved ? [...siblings, component.id] : siblings, component.id, place, at);
    await recordChange(tx, ctx, {
      action: 'component.edited', targetType: 'component', targetId: component.id,
      details: { name, group_id: groupId, only_show_if_degraded: onlyShowIfDegraded, position: place ?? null },
    }, at);
    return (await findComponentsByIdOrKey(tx, [component.id]))[0];
  });
}

/** Takes a component off the page; its history is kept. Refused while an open incident lists it. */
export async function archiveComponent(ctx: ServiceContext, idOrKey: string): Promise<{ id: string }> {
  authorize(ctx.actor, 'page_structure.edit');
  return structureChange(ctx, async (tx, _pageId, at) => {
    const component = await requireComponent(tx, idOrKey);
    const open = await openIncidentsAffecting(tx, component.id);
    if (open.length > 0) throw new ConflictError(`${component.name} is affected by an open incident or maintenance (${open.join(', ')}): resolve it first`);
    await archiveComponentRow(tx, component.id, at);
    await recordChange(tx, ctx, { action: 'component.archived', targetType: 'component', targetId: component.id, details: { key: component.key, name: component.name } }, at);
    return { id: component.id };
  });
}
