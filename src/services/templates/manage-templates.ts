import { authorize } from '../../domain/actor.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES, type ComponentStatus, type Impact, type IncidentStatus } from '../../domain/status.ts';
import { BODY_MAX, NAME_MAX, requireOneOf, requireText } from '../../domain/validation.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import type { Queryable } from '../../storage/database.ts';
import { findComponentsByIdOrKey } from '../../storage/page-repository.ts';
import {
  deleteTemplate as deleteTemplateRow, findTemplateByName, insertTemplate, listTemplates as listTemplateRows, updateTemplate as updateTemplateRow,
} from '../../storage/template-repository.ts';
import type { IncidentTemplate, TemplateFields } from '../../domain/model.ts';
import type { ServiceContext } from '../context.ts';

export interface TemplateInput {
  name: string;
  title: string;
  status?: string;
  /** empty or missing: computed from the component statuses when the incident is declared */
  impact?: string | null;
  body: string;
  /** {component id or key: status} */
  component_statuses?: Record<string, string>;
}

export const TEMPLATE_STATUSES = INCIDENT_STATUSES.filter((s) => s !== 'resolved' && s !== 'postmortem');
export const TEMPLATE_IMPACTS = IMPACTS.filter((i) => i !== 'maintenance');

/** Checks a template the same way declaring the incident would; component keys become ids. */
async function validate(db: Queryable, input: TemplateInput): Promise<TemplateFields> {
  const name = requireText('name', input.name, { max: 100 });
  const title = requireText('title', input.title, { max: NAME_MAX });
  const status: IncidentStatus = input.status === undefined || input.status === '' ? 'investigating' : requireOneOf('status', input.status, TEMPLATE_STATUSES);
  const impact: Impact | null = input.impact === undefined || input.impact === null || input.impact === '' ? null : requireOneOf('impact', input.impact, TEMPLATE_IMPACTS);
  const body = requireText('body', input.body, { max: BODY_MAX, multiline: true });
  const entries = Object.entries(input.component_statuses ?? {});
  const found = await findComponentsByIdOrKey(db, entries.map(([ref]) => ref));
  const componentStatuses: Record<string, ComponentStatus> = {};
  for (const [ref, value] of entries) {
    const component = found.find((c) => c.id === ref || c.key === ref);
    if (!component) throw new ValidationError(`components.${ref}`, 'no such component');
    componentStatuses[component.id] = requireOneOf(`components.${ref}`, value, COMPONENT_STATUSES);
  }
  return { name, title, status, impact, body, component_statuses: componentStatuses };
}

export function listTemplates(ctx: ServiceContext): Promise<IncidentTemplate[]> {
  return listTemplateRows(ctx.db);
}

export async function createTemplate(ctx: ServiceContext, input: TemplateInput): Promise<IncidentTemplate> {
  authorize(ctx.actor, 'template.manage');
  const fields = await validate(ctx.db, input);
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const template = await insertTemplate(tx, { ...fields, id: ctx.ids.id(), at });
    if (!template) throw new ValidationError('name', `a template named ${JSON.stringify(fields.name)} already exists`);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'template.created', target_type: 'incident_template', target_id: template.id, details: { name: template.name }, at });
    return template;
  });
}

export async function updateTemplate(ctx: ServiceContext, id: string, input: TemplateInput): Promise<IncidentTemplate> {
  authorize(ctx.actor, 'template.manage');
  const fields = await validate(ctx.db, input);
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const clash = await findTemplateByName(tx, fields.name);
    if (clash && clash.id !== id) throw new ValidationError('name', `a template named ${JSON.stringify(fields.name)} already exists`);
    const template = await updateTemplateRow(tx, id, { ...fields, at });
    if (!template) throw new NotFoundError('template', id);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'template.updated', target_type: 'incident_template', target_id: id, details: { name: template.name }, at });
    return template;
  });
}

export async function deleteTemplate(ctx: ServiceContext, id: string): Promise<IncidentTemplate> {
  authorize(ctx.actor, 'template.manage');
  const at = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const template = await deleteTemplateRow(tx, id);
    if (!template) throw new NotFoundError('template', id);
    await insertAudit(tx, { actor: ctx.actor.label, action: 'template.deleted', target_type: 'incident_template', target_id: id, details: { name: template.name }, at });
    return template;
  });
}
