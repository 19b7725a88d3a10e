import { authorize } from '../../domain/actor.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { IncidentTemplate } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { deleteTemplate as deleteTemplateRow } from '../../storage/template-repository.ts';
import type { ServiceContext } from '../context.ts';

/** Deletes an incident template; incidents declared from it keep what they were given. */
export async function deleteTemplate(ctx: ServiceContext, id: string): Promise<IncidentTemplate> {
  authorize(ctx.actor, 'template.manage');
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const template = await deleteTemplateRow(tx, id);
    if (!template) throw new NotFoundError('template', id);
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'template.deleted',
      target_type: 'incident_template',
      target_id: id,
      details: { name: template.name },
      at,
    });
    return template;
  });
}
