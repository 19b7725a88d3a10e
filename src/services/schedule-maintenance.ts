import { ValidationError } from '../domain/errors.ts';
import { BODY_MAX, NAME_MAX, requireDate, requireText } from '../domain/validation.ts';
import { addIncidentComponents, insertIncident, insertUpdate } from '../storage/incident-repository.ts';
import { findComponentsByIdOrKey, findPage } from '../storage/page-repository.ts';
import type { ServiceContext } from './context.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from './shared/incident-after-write.ts';
import { recordChange } from './shared/record-change.ts';

export interface ScheduleMaintenanceInput {
  name: string;
  body: string;
  scheduled_for: string;
  scheduled_until: string;
  /** ids or keys of the components under maintenance */
  components?: string[];
  auto_start?: boolean;
  auto_complete?: boolean;
  deliver_notifications?: boolean;
}

/** Announces a maintenance window. Components change only when it starts. */
export async function scheduleMaintenance(ctx: ServiceContext, input: ScheduleMaintenanceInput): Promise<IncidentAfterWrite> {
  const name = requireText('name', input.name, { max: NAME_MAX });
  const body = requireText('body', input.body, { max: BODY_MAX, multiline: true });
  const scheduledFor = requireDate('scheduled_for', input.scheduled_for);
  const scheduledUntil = requireDate('scheduled_until', input.scheduled_until);
  if (scheduledUntil <= scheduledFor) throw new ValidationError('scheduled_until', 'must be after scheduled_for');
  const at = ctx.clock.now();
  const id = ctx.ids.id();

  return ctx.db.transaction(async (tx) => {
    const page = await findPage(tx);
    if (!page) throw new Error('the page has not been synced yet');
    const refs = input.components ?? [];
    const components = await findComponentsByIdOrKey(tx, refs);
    for (const [index, ref] of refs.entries()) {
      if (!components.some((c) => c.id === ref || c.key === ref)) throw new ValidationError(`components.${index}`, `no such component ${JSON.stringify(ref)}`);
    }
    await insertIncident(tx, {
      id, page_id: page.id, kind: 'maintenance', name, status: 'scheduled', impact: 'maintenance', source: 'responder',
      scheduled_for: scheduledFor, scheduled_until: scheduledUntil, auto_start: input.auto_start ?? true, auto_complete: input.auto_complete ?? true,
      started_at: scheduledFor, at,
    });
    await addIncidentComponents(tx, id, components.map((c) => c.id));
    const updateId = ctx.ids.id();
    const deliver = input.deliver_notifications ?? true;
    await insertUpdate(tx, { id: updateId, incident_id: id, status: 'scheduled', body, affected_components: [], deliver_notifications: deliver, created_by: ctx.actor, created_at: at });
    await recordChange(tx, ctx, {
      action: 'maintenance.scheduled', targetType: 'maintenance', targetId: id, details: { name, scheduled_for: scheduledFor, scheduled_until: scheduledUntil },
      event: { type: 'maintenance.scheduled', payload: { incident_id: id, update_id: updateId, deliver_notifications: deliver, component_ids: components.map((c) => c.id) } },
    }, at);
    return readIncidentAfterWrite(tx, id);
  });
}
