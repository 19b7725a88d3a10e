import Type, { type Static } from 'typebox';
import { ValidationError } from '../../domain/errors.ts';
import type { TemplateFields } from '../../domain/model.ts';
import { IMPACTS, INCIDENT_STATUSES, type ComponentStatus } from '../../domain/status.ts';
import { BODY_MAX, NAME_MAX, requireText } from '../../domain/validation.ts';
import type { Queryable } from '../../storage/database.ts';
import { findComponentsByIdOrKey } from '../../storage/page-repository.ts';
import { ComponentChanges, Enum, IncidentName, MarkdownBody, TEMPLATE_NAME_MAX, TemplateName } from '../shared/fields.ts';

/** A template opens an incident, so it starts before resolution. */
export const TEMPLATE_STATUSES = INCIDENT_STATUSES.filter((s) => s !== 'resolved' && s !== 'postmortem');
export const TEMPLATE_IMPACTS = IMPACTS.filter((i) => i !== 'maintenance');

/**
 * An incident template: a declare form filled in ahead of time (the incident's title, status,
 * impact, first update and component statuses) under a name of its own. Creating and replacing a
 * template take the whole of it.
 */
export const TemplateInput = Type.Object(
  {
    name: TemplateName,
    /** the declared incident's name */
    title: IncidentName,
    status: Type.Optional(Enum(TEMPLATE_STATUSES)),
    /** missing: computed from the component statuses when the incident is declared */
    impact: Type.Optional(Enum(TEMPLATE_IMPACTS)),
    body: MarkdownBody,
    components: Type.Optional(ComponentChanges),
  },
  { additionalProperties: false },
);
export type TemplateInput = Static<typeof TemplateInput>;

/** A template past its contract, checked as declaring the incident would check it; component keys become ids. */
export async function templateFields(db: Queryable, input: TemplateInput): Promise<TemplateFields> {
  const name = requireText('name', input.name, { max: TEMPLATE_NAME_MAX });
  const title = requireText('title', input.title, { max: NAME_MAX });
  const body = requireText('body', input.body, { max: BODY_MAX, multiline: true });
  const entries = Object.entries(input.components ?? {});
  const found = await findComponentsByIdOrKey(
    db,
    entries.map(([ref]) => ref),
  );
  const componentStatuses: Record<string, ComponentStatus> = {};
  for (const [ref, status] of entries) {
    const component = found.find((c) => c.id === ref || c.key === ref);
    if (!component) throw new ValidationError(`components.${ref}`, 'no such component');
    componentStatuses[component.id] = status;
  }
  return { name, title, status: input.status ?? 'investigating', impact: input.impact ?? null, body, component_statuses: componentStatuses };
}

/** The error for a name another template has. */
export const nameTaken = (name: string) => new ValidationError('name', `a template named ${JSON.stringify(name)} already exists`);
