import type { Queryable } from '../storage/database.ts';
import { findTemplate as findTemplateRow, listTemplates as listTemplateRows } from '../storage/template-repository.ts';
import type { IncidentTemplate } from '../domain/model.ts';

export type { IncidentTemplate };

/** One incident template by id, or null. */
export function findTemplate(db: Queryable, id: string): Promise<IncidentTemplate | null> {
  return findTemplateRow(db, id);
}

/** Every incident template, by name: the template list and the declare form's choices. */
export function listTemplates(db: Queryable): Promise<IncidentTemplate[]> {
  return listTemplateRows(db);
}
