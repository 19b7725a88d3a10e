import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import type { ComponentGroup } from '../../domain/model.ts';
import { findGroup, listGroups, nextPosition, upsertGroup } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentKey, ComponentName, Description, PathIdOrKey, Position } from '../shared/fields.ts';
import { recordChange } from '../shared/record-change.ts';
import { chooseKey, optionalDescription, placeAmong, reorder, setGroupMembers, structureChange, structureName } from './structure-change.ts';

/** A new component group: the API's request body, the console's "Add a group" form. */
export const CreateComponentGroupInput = Type.Object(
  {
    name: ComponentName,
    description: Type.Optional(Description),
    key: Type.Optional(ComponentKey),
    position: Type.Optional(Position),
    /** Statuspage's `components`: the group's members in order (ids or keys); the ones it held and are not listed leave it. */
    components: Type.Optional(
      Type.Array(PathIdOrKey, { maxItems: 500, description: "the group's components in order (ids or keys); others in it leave it, ungrouped" }),
    ),
  },
  { additionalProperties: false },
);
export type CreateComponentGroupInput = Static<typeof CreateComponentGroupInput>;

/** Adds a group to a console-managed page (last, unless a position is given). */
export async function createComponentGroup(ctx: ServiceContext, raw: unknown): Promise<ComponentGroup> {
  authorize(ctx.actor, 'page_structure.edit');
  const input = parseInput(CreateComponentGroupInput, raw);
  const name = structureName(input.name);
  const description = optionalDescription(input.description);
  return structureChange(ctx, async (tx, pageId, at) => {
    const key = await chooseKey(tx, 'component_group', input.key, name);
    const groups = await listGroups(tx);
    const id = await upsertGroup(tx, { id: ctx.ids.id(), page_id: pageId, key, name, description, position: await nextPosition(tx, 'component_group'), at });
    const place = placeAmong(input.position, groups.length + 1);
    if (place !== undefined) await reorder(tx, 'component_group', [...groups.map((g) => g.id), id], id, place, at);
    const components = input.components === undefined ? undefined : await setGroupMembers(tx, id, input.components, at);
    await recordChange(tx, ctx, { action: 'component_group.created', targetType: 'component_group', targetId: id, details: { key, name, components } }, at);
    return (await findGroup(tx, id))!;
  });
}
