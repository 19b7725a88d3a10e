import { authorize } from '../../domain/actor.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { IncidentTemplate } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { findTemplateByName, updateTemplate as updateTemplateRow } from '../../storage/template-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { nameTaken, templateFields, TemplateInput } from './template-input.ts';

/** A template's new content: the whole template, as the console's form sends it. */
export const UpdateTemplateInput = TemplateInput;
export type UpdateTemplateInput = TemplateInput;

/** Replaces an incident template; its name stays unique. */
export async function updateTemplate(ctx: ServiceContext, id: string, raw: unknown): Promise<IncidentTemplate> {
  authorize(ctx.actor, 'template.manage');
  const fields = await templateFields(ctx.db, parseInput(UpdateTemplateInput, raw));
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const clash = await findTemplateByName(tx, fields.name);
    if (clash && clash.id !== id) throw nameTaken(fields.name);
    const template = await updateTemplateRow(tx, id, { ...fields, at });
    if (!template) throw new NotFoundError('template', id);
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'template.updated',
      target_type: 'incident_template',
      target_id: id,
      details: { name: template.name },
      at,
    });
    return template;
  });
}
