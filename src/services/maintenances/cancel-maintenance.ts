import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import { lifecycleTimestamps } from '../../domain/incident-lifecycle.ts';
import { BODY_MAX, requireText } from '../../domain/validation.ts';
import { findIncident, insertUpdate, markMaintenanceCancelled, updateIncidentState } from '../../storage/incident-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from '../shared/incident-after-write.ts';
import { recordChange } from '../shared/record-change.ts';

const DEFAULT_BODY = 'This scheduled maintenance has been cancelled and will not take place.';

/** What may come with a cancellation (the API's optional request body, the console's button). */
export const CancelMaintenanceInput = Type.Object(
  {
    body: Type.Optional(Type.String({ maxLength: BODY_MAX, description: 'Markdown; a standard message is used when omitted' })),
    deliver_notifications: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type CancelMaintenanceInput = Static<typeof CancelMaintenanceInput>;

/**
 * Calls off a maintenance that has not begun. Its components never went under maintenance, so
 * none changes. It ends `completed` (the status Statuspage's clients know) with `cancelled_at`
 * set: subscribers are told it is cancelled (event `maintenance.cancelled`), and the calendar
 * marks its event cancelled. One that has begun is completed instead (advanceMaintenance).
 */
export async function cancelMaintenance(ctx: ServiceContext, id: string, raw: unknown = {}): Promise<IncidentAfterWrite> {
  authorize(ctx.actor, 'maintenance.advance');
  const input = parseInput(CancelMaintenanceInput, raw);
  const body = input.body === undefined || input.body.trim() === '' ? DEFAULT_BODY : requireText('body', input.body, { max: BODY_MAX, multiline: true });
  const at = ctx.clock.now();

  return ctx.db.transaction(async (tx) => {
    const maintenance = await findIncident(tx, id, 'maintenance', { forUpdate: true });
    if (!maintenance) throw new NotFoundError('maintenance', id);
    if (maintenance.status !== 'scheduled') {
      throw new ConflictError(
        `maintenance ${id} is ${maintenance.status.replace('_', ' ')}: only one that has not begun can be cancelled; complete it instead`,
      );
    }
    await updateIncidentState(tx, { id: maintenance.id, status: 'completed', impact: 'maintenance', at, ...lifecycleTimestamps('completed', at) });
    await markMaintenanceCancelled(tx, maintenance.id, at);
    const updateId = ctx.ids.id();
    const deliver = input.deliver_notifications ?? true;
    await insertUpdate(tx, {
      id: updateId,
      incident_id: maintenance.id,
      status: 'completed',
      body,
      affected_components: [],
      deliver_notifications: deliver,
      created_by: ctx.actor.label,
      created_at: at,
    });
    await recordChange(
      tx,
      ctx,
      {
        action: 'maintenance.cancelled',
        targetType: 'maintenance',
        targetId: maintenance.id,
        details: { status: 'completed', cancelled: true },
        event: {
          type: 'maintenance.cancelled',
          payload: { incident_id: maintenance.id, update_id: updateId, deliver_notifications: deliver, component_ids: maintenance.component_ids },
        },
      },
      at,
    );
    return readIncidentAfterWrite(tx, maintenance.id);
  });
}
