import Type, { type Static } from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { ValidationError } from '../../domain/errors.ts';
import { BODY_MAX, NAME_MAX, requireDate, requireText } from '../../domain/validation.ts';
import { addIncidentComponents, insertIncident, insertUpdate } from '../../storage/incident-repository.ts';
import { findComponentsByIdOrKey, findPage } from '../../storage/page-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { IncidentName, MarkdownBody, Timestamp } from '../shared/fields.ts';
import { applyComponentStatuses } from '../shared/apply-component-statuses.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from '../shared/incident-after-write.ts';
import { recordChange } from '../shared/record-change.ts';

/** Minutes before the start a maintenance reminds its subscribers, unless told otherwise (as Statuspage does). */
const REMIND_PRIOR_DEFAULT = 60;
/** A week: a reminder further ahead is an announcement. */
const REMIND_PRIOR_MAX = 10_080;

/** A maintenance window as a responder announces it: the API's request body, the console's schedule form. */
export const ScheduleMaintenanceInput = Type.Object(
  {
    name: IncidentName,
    body: MarkdownBody,
    scheduled_for: Timestamp,
    scheduled_until: Timestamp,
    components: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'component ids or keys' })),
    auto_start: Type.Optional(Type.Boolean({ default: true })),
    auto_complete: Type.Optional(Type.Boolean({ default: true })),
    deliver_notifications: Type.Optional(Type.Boolean({ default: true })),
    scheduled_remind_prior: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: REMIND_PRIOR_MAX }), Type.Boolean()], {
        description: `remind every subscriber this many minutes before the start (true: ${REMIND_PRIOR_DEFAULT}, false or 0: no reminder; default ${REMIND_PRIOR_DEFAULT})`,
      }),
    ),
  },
  { additionalProperties: false },
);

/** The reminder's lead in minutes, or null for none. */
function remindPrior(value: number | boolean | undefined): number | null {
  if (value === undefined || value === true) return REMIND_PRIOR_DEFAULT;
  return value === false || value === 0 ? null : value;
}
export type ScheduleMaintenanceInput = Static<typeof ScheduleMaintenanceInput>;

/**
 * Announces a maintenance window. Components change only when it starts. The window must end in
 * the future: one already over would be started and completed at once, announcing nothing real.
 * One that began in the past (a form filled in at minute precision, a window already under way)
 * starts now if it starts by itself: it opens in progress with the responder's words as its one
 * update and one notice, rather than a "scheduled" notice followed at once by a "started" one.
 */
export async function scheduleMaintenance(ctx: ServiceContext, raw: unknown): Promise<IncidentAfterWrite> {
  authorize(ctx.actor, 'maintenance.schedule');
  const input = parseInput(ScheduleMaintenanceInput, raw);
  const name = requireText('name', input.name, { max: NAME_MAX });
  const body = requireText('body', input.body, { max: BODY_MAX, multiline: true });
  const scheduledFor = requireDate('scheduled_for', input.scheduled_for);
  const scheduledUntil = requireDate('scheduled_until', input.scheduled_until);
  if (scheduledUntil <= scheduledFor) throw new ValidationError('scheduled_until', 'must be after scheduled_for');
  const at = ctx.clock.now();
  if (scheduledUntil <= at)
    throw new ValidationError('scheduled_until', `must be in the future (it is now ${at.toISOString()}): this window has already ended`);
  const autoStart = input.auto_start ?? true;
  const startsNow = autoStart && scheduledFor <= at;
  const status = startsNow ? 'in_progress' : 'scheduled';
  const id = ctx.ids.id();

  return ctx.db.transaction(async (tx) => {
    const page = await findPage(tx);
    if (!page) throw new Error('the page has not been synced yet');
    const refs = input.components ?? [];
    const components = await findComponentsByIdOrKey(tx, refs, { forUpdate: startsNow });
    for (const [index, ref] of refs.entries()) {
      if (!components.some((c) => c.id === ref || c.key === ref)) throw new ValidationError(`components.${index}`, `no such component ${JSON.stringify(ref)}`);
    }
    await insertIncident(tx, {
      id,
      page_id: page.id,
      kind: 'maintenance',
      name,
      status,
      impact: 'maintenance',
      source: 'responder',
      scheduled_for: scheduledFor,
      scheduled_until: scheduledUntil,
      auto_start: autoStart,
      auto_complete: input.auto_complete ?? true,
      remind_prior_minutes: remindPrior(input.scheduled_remind_prior),
      started_at: startsNow ? at : scheduledFor,
      at,
    });
    await addIncidentComponents(
      tx,
      id,
      components.map((c) => c.id),
    );
    const affected = startsNow
      ? await applyComponentStatuses(
          tx,
          components.map((component) => ({ component, status: 'under_maintenance' as const })),
          at,
          id,
        )
      : [];
    const updateId = ctx.ids.id();
    const deliver = input.deliver_notifications ?? true;
    await insertUpdate(tx, {
      id: updateId,
      incident_id: id,
      status,
      body,
      affected_components: affected,
      deliver_notifications: deliver,
      created_by: ctx.actor.label,
      created_at: at,
    });
    await recordChange(
      tx,
      ctx,
      {
        action: 'maintenance.scheduled',
        targetType: 'maintenance',
        targetId: id,
        details: { name, scheduled_for: scheduledFor, scheduled_until: scheduledUntil, started: startsNow },
        event: {
          type: startsNow ? 'maintenance.started' : 'maintenance.scheduled',
          payload: { incident_id: id, update_id: updateId, deliver_notifications: deliver, component_ids: components.map((c) => c.id) },
        },
      },
      at,
    );
    return readIncidentAfterWrite(tx, id);
  });
}
