import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { ValidationError } from '../../domain/errors.ts';
import type { Component } from '../../domain/model.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { SetComponentStatusInput, setComponentStatus } from './set-component-status.ts';
import { UpdateComponentInput, updateComponent } from './update-component.ts';

/**
 * Statuspage's component PATCH: a status (any page), structure edits (console-managed pages), or
 * both in one request. The API's request body.
 */
export const EditComponentInput = Type.Object(
  {
    status: Type.Optional(SetComponentStatusInput.properties.status),
    deliver_notifications: SetComponentStatusInput.properties.deliver_notifications,
    ...UpdateComponentInput.properties,
  },
  { additionalProperties: false },
);
export type EditComponentInput = Static<typeof EditComponentInput>;

/**
 * Applies the structure edits, then the status, each through its own use-case (and its own
 * capability check), so the answer is the component as the last one committed it.
 */
export async function editComponent(ctx: ServiceContext, idOrKey: string, raw: unknown): Promise<Component> {
  // The API grants this PATCH with the structure capability, whichever fields it carries.
  authorize(ctx.actor, 'page_structure.edit');
  const { status, deliver_notifications: deliverNotifications, ...structure } = parseInput(EditComponentInput, raw);
  const edits = Object.keys(structure).length > 0;
  if (!edits && status === undefined)
    throw new ValidationError('status', 'give a status, or one of name, description, group_id, position, only_show_if_degraded');
  if (status === undefined) return updateComponent(ctx, idOrKey, structure);
  if (edits) await updateComponent(ctx, idOrKey, structure);
  // The status change comes last and reads the component in its own transaction, so its answer holds the edits too.
  return setComponentStatus(ctx, idOrKey, { status, deliver_notifications: deliverNotifications });
}
