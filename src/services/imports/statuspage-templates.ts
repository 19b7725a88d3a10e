import type { ComponentStatus } from '../../domain/status.ts';
import { BODY_MAX, NAME_MAX, requireText } from '../../domain/validation.ts';
import { findImported, idsTaken, listImported, recordImported } from '../../storage/import-repository.ts';
import { findTemplateByName, insertTemplate } from '../../storage/template-repository.ts';
import { TEMPLATE_NAME_MAX } from '../shared/fields.ts';
import type { ImportBatchTemplate } from './statuspage-batch-input.ts';
import { idFor, type ImportScope } from './outcome.ts';

/**
 * Incident templates. A template whose name Lifeline already has (names are unique regardless of
 * case) is not doubled: the Lifeline one is kept, and the Statuspage id points at it.
 */
export async function importTemplates(scope: ImportScope, templates: ImportBatchTemplate[]): Promise<void> {
  const { tx, ctx, sourcePage, at, outcome } = scope;
  const components = await listImported(tx, 'statuspage', 'component');
  const ids = templates.map((t) => t.id);
  const known = await findImported(tx, 'statuspage', 'incident_template', ids);
  const taken = await idsTaken(tx, 'incident_template', ids);
  for (const [index, template] of templates.entries()) {
    const field = `templates.${index}`;
    const name = requireText(`${field}.name`, template.name, { max: TEMPLATE_NAME_MAX });
    const title = requireText(`${field}.title`, template.title, { max: NAME_MAX });
    const body = requireText(`${field}.body`, template.body, { max: BODY_MAX, multiline: true });
    if (known.has(template.id)) {
      outcome.existing.templates += 1;
      continue;
    }
    const record = (targetId: string) =>
      recordImported(tx, { source: 'statuspage', source_page: sourcePage, kind: 'incident_template', source_id: template.id, target_id: targetId, at });
    const sameName = await findTemplateByName(tx, name);
    if (sameName) {
      await record(sameName.id);
      outcome.existing.templates += 1;
      continue;
    }
    const statuses: Record<string, ComponentStatus> = {};
    for (const [ref, status] of Object.entries(template.components)) {
      const componentId = components.get(ref);
      if (componentId === undefined)
        outcome.skipped.push({ kind: 'templates', id: template.id, reason: `component ${ref} is not in the import: left out of the template` });
      else statuses[componentId] = status;
    }
    const id = idFor(ctx, template.id, taken);
    await insertTemplate(tx, { id, name, title, status: template.status, impact: null, body, component_statuses: statuses, at });
    await record(id);
    outcome.created.templates += 1;
  }
}
