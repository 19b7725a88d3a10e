import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import type { ComponentGroup } from '../../domain/model.ts';
import { findGroup, listGroups, updateGroupFields } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentName, Description, PathIdOrKey, Position } from '../shared/fields.ts';
import { recordChange } from '../shared/record-change.ts';
import { editedText, placeAmong, reorder, requireGroup, setGroupMembers, structureChange } from './structure-change.ts';

/** A group's edit: missing fields keep their value; the key never changes. */
export const UpdateComponentGroupInput = Type.Object(
  {
    name: Type.Optional(ComponentName),
    description: Type.Optional(Description),
    position: Type.Optional(Position),
    /** Statuspage's `components`: the group's members in order (ids or keys); the ones it held and are not listed leave it. */
    components: Type.Optional(
      Type.Array(PathIdOrKey, { maxItems: 500, description: "the group's components in order (ids or keys); others in it leave it, ungrouped" }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateComponentGroupInput = Static<typeof UpdateComponentGroupInput>;

/** Renames, describes or reorders a group on a console-managed page. */
export async function updateComponentGroup(ctx: ServiceContext, idOrKey: string, raw: unknown): Promise<ComponentGroup> {
  authorize(ctx.actor, 'page_structure.edit');
  const input = parseInput(UpdateComponentGroupInput, raw);
  return structureChange(ctx, async (tx, _pageId, at) => {
    const group = await requireGroup(tx, idOrKey);
    const { name, description } = editedText(input, group);
    const groups = await listGroups(tx);
    const place = placeAmong(input.position, groups.length);
    await updateGroupFields(tx, group.id, { name, description, at });
    if (place !== undefined)
      await reorder(
        tx,
        'component_group',
        groups.map((g) => g.id),
        group.id,
        place,
        at,
      );
    const components = input.components === undefined ? undefined : await setGroupMembers(tx, group.id, input.components, at);
    await recordChange(
      tx,
      ctx,
      { action: 'component_group.edited', targetType: 'component_group', targetId: group.id, details: { name, position: place ?? null, components } },
      at,
    );
    return (await findGroup(tx, group.id))!;
  });
}
