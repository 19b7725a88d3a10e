import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Component } from '../../domain/model.ts';
import { findComponentsByIdOrKey } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { applyComponentStatuses } from '../shared/apply-component-statuses.ts';
import { parseInput } from '../shared/contract.ts';
import { ComponentStatusField } from '../shared/fields.ts';
import { recordChange } from '../shared/record-change.ts';

/** A component's new status: the console's "Set status" form; the API's PATCH carries it in `EditComponentInput`. */
export const SetComponentStatusInput = Type.Object(
  {
    status: ComponentStatusField,
    deliver_notifications: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type SetComponentStatusInput = Static<typeof SetComponentStatusInput>;

/** Sets one component's status outside any incident (Statuspage's component update). */
export async function setComponentStatus(ctx: ServiceContext, idOrKey: string, raw: unknown): Promise<Component> {
  authorize(ctx.actor, 'component.set_status');
  const input = parseInput(SetComponentStatusInput, raw);
  const status = input.status;
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [component] = await findComponentsByIdOrKey(tx, [idOrKey], { forUpdate: true });
    if (!component) throw new NotFoundError('component', idOrKey);
    if (component.status === status) return component;
    await applyComponentStatuses(tx, [{ component, status }], at, null);
    await recordChange(
      tx,
      ctx,
      {
        action: 'component.updated',
        targetType: 'component',
        targetId: component.id,
        details: { old_status: component.status, new_status: status },
        event: {
          type: 'component.updated',
          payload: {
            component_id: component.id,
            old_status: component.status,
            new_status: status,
            deliver_notifications: input.deliver_notifications ?? false,
          },
        },
      },
      at,
    );
    return { ...component, status, updated_at: at };
  });
}
