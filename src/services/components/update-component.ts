import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import type { Component } from '../../domain/model.ts';
import { findComponentsByIdOrKey, updateComponentFields } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentName, Description, GroupRef, Position } from '../shared/fields.ts';
import { recordChange } from '../shared/record-change.ts';
import { editedText, placeAmong, reorder, requireComponent, resolveGroupId, siblingsOf, structureChange } from './structure-change.ts';

/** A component's edit: missing fields keep their value; the key never changes, the status has its own use-case. */
export const UpdateComponentInput = Type.Object(
  {
    name: Type.Optional(ComponentName),
    description: Type.Optional(Description),
    group_id: Type.Optional(GroupRef),
    only_show_if_degraded: Type.Optional(Type.Boolean()),
    position: Type.Optional(Position),
  },
  { additionalProperties: false },
);
export type UpdateComponentInput = Static<typeof UpdateComponentInput>;

/** Renames, regroups, reorders or changes what a component shows, on a console-managed page. */
export async function updateComponent(ctx: ServiceContext, idOrKey: string, raw: unknown): Promise<Component> {
  authorize(ctx.actor, 'page_structure.edit');
  const input = parseInput(UpdateComponentInput, raw);
  return structureChange(ctx, async (tx, _pageId, at) => {
    const component = await requireComponent(tx, idOrKey);
    const { name, description } = editedText(input, component);
    const onlyShowIfDegraded = input.only_show_if_degraded ?? component.only_show_if_degraded;
    const groupId = input.group_id === undefined ? component.group_id : await resolveGroupId(tx, input.group_id);
    const siblings = await siblingsOf(tx, groupId);
    const moved = groupId !== component.group_id;
    const count = moved ? siblings.length + 1 : siblings.length;
    // Moved to another group without a place: last there.
    const place = placeAmong(input.position, count) ?? (moved ? count : undefined);
    await updateComponentFields(tx, component.id, { name, description, group_id: groupId, only_show_if_degraded: onlyShowIfDegraded, at });
    if (place !== undefined) await reorder(tx, 'component', moved ? [...siblings, component.id] : siblings, component.id, place, at);
    await recordChange(
      tx,
      ctx,
      {
        action: 'component.edited',
        targetType: 'component',
        targetId: component.id,
        details: { name, group_id: groupId, only_show_if_degraded: onlyShowIfDegraded, position: place ?? null },
      },
      at,
    );
    return (await findComponentsByIdOrKey(tx, [component.id]))[0];
  });
}
