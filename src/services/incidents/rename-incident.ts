import Type from 'typebox';
import { authorize } from '../../domain/actor.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Incident } from '../../domain/model.ts';
import { NAME_MAX, requireText } from '../../domain/validation.ts';
import { findIncident, renameIncidentRow } from '../../storage/incident-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { IncidentName } from '../shared/fields.ts';
import { readIncidentAfterWrite, type IncidentAfterWrite } from '../shared/incident-after-write.ts';
import { recordChange } from '../shared/record-change.ts';

export const RenameIncidentInput = Type.Object({ name: IncidentName }, { additionalProperties: false });

/**
 * Gives an incident or maintenance a new name, as Statuspage's PATCH with `incident[name]` does:
 * the page and every feed show it at once, the timeline gets no update and nobody is notified
 * (notices still to be sent carry the new name). The audit log keeps the old name and the new.
 */
export async function renameIncident(ctx: ServiceContext, id: string, kind: Incident['kind'], raw: unknown): Promise<IncidentAfterWrite> {
  authorize(ctx.actor, kind === 'maintenance' ? 'maintenance.schedule' : 'incident.update');
  const input = parseInput(RenameIncidentInput, raw);
  const name = requireText('name', input.name, { max: NAME_MAX });
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const incident = await findIncident(tx, id, kind, { forUpdate: true });
    if (!incident) throw new NotFoundError(kind, id);
    if (incident.name === name) return readIncidentAfterWrite(tx, incident.id);
    await renameIncidentRow(tx, incident.id, name, at);
    await recordChange(tx, ctx, { action: `${kind}.renamed`, targetType: kind, targetId: incident.id, details: { from: incident.name, to: name } }, at);
    return readIncidentAfterWrite(tx, incident.id);
  });
}
