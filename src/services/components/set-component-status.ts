import { authorize } from '../../domain/actor.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Component } from '../../domain/model.ts';
import { COMPONENT_STATUSES } from '../../domain/status.ts';
import { requireOneOf } from '../../domain/validation.ts';
import { findComponentsByIdOrKey } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { applyComponentStatuses } from '../shared/apply-component-statuses.ts';
import { recordChange } from '../shared/record-change.ts';

/** Sets one component's status outside any incident (Statuspage's component update). */
export async function setComponentStatus(ctx: ServiceContext, idOrKey: string, input: { status: string; deliver_notifications?: boolean }): Promise<Component> {
  authorize(ctx.actor, 'component.set_status');
  const status = requireOneOf('status', input.status, COMPONENT_STATUSES);
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [component] = await findComponentsByIdOrKey(tx, [idOrKey], { forUpdate: true });
    if (!component) throw new NotFoundError('component', idOrKey);
    if (component.status === status) return component;
    await applyComponentStatuses(tx, [{ component, status }], at, null);
    await recordChange(tx, ctx, {
      action: 'component.updated', targetType: 'component', targetId: component.id, details: { old_status: component.status, new_status: status },
      event: { type: 'component.updated', payload: { component_id: component.id, old_status: component.status, new_status: status, deliver_notifications: input.deliver_notifications ?? false } },
    }, at);
    return { ...component, status, updated_at: at };
  });
}
