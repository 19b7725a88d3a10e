import { authorize } from '../../domain/actor.ts';
import type { IncidentTemplate } from '../../domain/model.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { insertTemplate } from '../../storage/template-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { nameTaken, templateFields, TemplateInput } from './template-input.ts';

/** A new template: the console's template form. */
export const CreateTemplateInput = TemplateInput;
export type CreateTemplateInput = TemplateInput;

/** Saves a new incident template; names are unique. */
export async function createTemplate(ctx: ServiceContext, raw: unknown): Promise<IncidentTemplate> {
  authorize(ctx.actor, 'template.manage');
  const fields = await templateFields(ctx.db, parseInput(CreateTemplateInput, raw));
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const template = await insertTemplate(tx, { ...fields, id: ctx.ids.id(), at });
    if (!template) throw nameTaken(fields.name);
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'template.created',
      target_type: 'incident_template',
      target_id: template.id,
      details: { name: template.name },
      at,
    });
    return template;
  });
}
