import { authorize } from '../../domain/actor.ts';
import { claimDueReminders, findIncident } from '../../storage/incident-repository.ts';
import type { ServiceContext } from '../context.ts';
import { recordChange } from '../shared/record-change.ts';

/**
 * Reminds every subscriber (email, webhooks, chat channels) of the maintenances starting soon:
 * `remind_prior_minutes` before each one's start, once. The claim (reminded_at) and the notice's
 * outbox event are one transaction, so a reminder is queued exactly once however many instances
 * tick together, and a restart neither loses nor repeats it. Returns the maintenances reminded.
 */
export async function sendMaintenanceReminders(ctx: ServiceContext): Promise<string[]> {
  authorize(ctx.actor, 'maintenance.advance');
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const due = await claimDueReminders(tx, at);
    for (const id of due) {
      const maintenance = await findIncident(tx, id, 'maintenance');
      if (!maintenance) continue;
      // The reminder repeats the announcement, and is as quiet as it was: a window announced without notifying reminds nobody.
      const announcement = maintenance.updates[maintenance.updates.length - 1];
      await recordChange(
        tx,
        ctx,
        {
          action: 'maintenance.reminded',
          targetType: 'maintenance',
          targetId: id,
          details: { scheduled_for: maintenance.scheduled_for, minutes_before: maintenance.remind_prior_minutes },
          event: {
            type: 'maintenance.reminder',
            payload: {
              incident_id: id,
              // Not an update's notice (the reach page lists it on its own); it tells the latest update's words.
              update_id: null,
              deliver_notifications: announcement?.deliver_notifications ?? true,
              component_ids: maintenance.component_ids,
            },
          },
        },
        at,
      );
    }
    return due;
  });
}
