import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import type { Component } from '../../domain/model.ts';
import type { ComponentStatus } from '../../domain/status.ts';
import { findComponentsByIdOrKey, nextPosition, setComponentStatus, upsertComponent } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentKey, ComponentName, ComponentStatusField, Description, GroupRef, Position } from '../shared/fields.ts';
import { recordChange } from '../shared/record-change.ts';
import { chooseKey, optionalDescription, placeAmong, reorder, resolveGroupId, siblingsOf, structureChange, structureName } from './structure-change.ts';

/** A new component: the API's request body, the console's "Add a component" form. */
export const CreateComponentInput = Type.Object(
  {
    name: ComponentName,
    description: Type.Optional(Description),
    group_id: Type.Optional(GroupRef),
    key: Type.Optional(ComponentKey),
    only_show_if_degraded: Type.Optional(Type.Boolean()),
    position: Type.Optional(Position),
    /** the starting status (default operational) */
    status: Type.Optional(ComponentStatusField),
  },
  { additionalProperties: false },
);
export type CreateComponentInput = Static<typeof CreateComponentInput>;

/** Adds a component to a console-managed page, with its first status (uptime is counted from here). */
export async function createComponent(ctx: ServiceContext, raw: unknown): Promise<Component> {
  authorize(ctx.actor, 'page_structure.edit');
  const input = parseInput(CreateComponentInput, raw);
  const name = structureName(input.name);
  const description = optionalDescription(input.description);
  const status: ComponentStatus = input.status ?? 'operational';
  return structureChange(ctx, async (tx, pageId, at) => {
    const groupId = await resolveGroupId(tx, input.group_id);
    const key = await chooseKey(tx, 'component', input.key, name);
    const siblings = await siblingsOf(tx, groupId);
    const { id } = await upsertComponent(tx, {
      id: ctx.ids.id(),
      page_id: pageId,
      key,
      group_id: groupId,
      name,
      description,
      position: await nextPosition(tx, 'component'),
      only_show_if_degraded: input.only_show_if_degraded ?? false,
      start_date: null,
      at,
    });
    // The first history entry: uptime is counted from here.
    await setComponentStatus(tx, { id, status, at, incidentId: null });
    const place = placeAmong(input.position, siblings.length + 1);
    if (place !== undefined) await reorder(tx, 'component', [...siblings, id], id, place, at);
    await recordChange(tx, ctx, { action: 'component.created', targetType: 'component', targetId: id, details: { key, name, group_id: groupId, status } }, at);
    return (await findComponentsByIdOrKey(tx, [id]))[0];
  });
}
